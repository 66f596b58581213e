"""Transactional outbox: events are written with the state change that caused them, in one
transaction, and a relay publishes them to Kafka afterwards (at least once; ids de-duplicate)."""

import asyncio
import functools
import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics, tracing
from shared.bulk import insert_rows
from shared.contracts.envelope import TYPE_HEADER, CloudEvent
from shared.db import UtcDateTime
from shared.faults import fault_point
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.retry import Backoff, wait_for_event

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(200), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("headers", LargeBinary, nullable=True),  # the trace context of the writer
    )


def outbox_rows(topic: str, events: list[CloudEvent]) -> list[dict[str, Any]]:
    """Rows for ``insert(outbox)``, executed with them as one statement."""
    now = datetime.now(UTC)
    trace = {k: v.decode() for k, v in tracing.current_headers()}
    return [
        {
            "event_id": e.id,
            "topic": topic,
            "key": e.subject,
            "payload": e.to_bytes(),
            "created_at": now,
            "headers": orjson.dumps({**trace, TYPE_HEADER: e.type}),
        }
        for e in events
    ]


def _headers(stored: bytes | None) -> tuple[tuple[str, bytes], ...]:
    """The Kafka headers of a row: the writer's trace context and the event's type."""
    if not stored:
        return ()
    try:
        return tuple((k, str(v).encode()) for k, v in orjson.loads(stored).items())
    except (ValueError, AttributeError):
        return ()  # damaged headers never stop an event


async def queue_events(
    session: AsyncSession, table: Table, topic: str, events: list[CloudEvent]
) -> None:
    """Write ``events`` to the outbox in the session's transaction."""
    await insert_rows(session, table, outbox_rows(topic, events))


RELAY = Backoff(first=0.2, most=5.0)  # after a failed relay, or until woken


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        producer: EventProducer,
        batch: int = 500,
        idle_poll: float = 0.5,
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._table = table
        self._producer = producer
        self._batch = batch
        self._idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._stopping = False
        # Built once (a statement costs more to build than to run, at a relay round a chunk).
        oldest = select(table.c.id).order_by(table.c.id).limit(batch).scalar_subquery()
        self._take = (
            delete(table)
            .where(table.c.id.in_(oldest))
            .returning(table.c.id, table.c.topic, table.c.key, table.c.payload, table.c.headers)
        )

    def wake(self) -> None:
        """Tell the relay that a transaction just committed outbox rows."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                relayed = await self.relay_once()
                failures = 0
            except Exception:
                failures += 1
                log.warning("outbox relay failed; retrying", exc_info=True)
                self._wake.clear()
                await RELAY.pause(failures, self._wake)
                continue
            if relayed < self._batch:
                self._wake.clear()
                await wait_for_event(self._wake, self._idle_poll)

    async def relay_once(self) -> int:
        """Publish the oldest queued events; their rows go once Kafka acknowledged them (the
        transaction that deletes them commits after Kafka's answer).

        One relay at a time publishes (a transaction-scoped advisory lock on PostgreSQL), so
        replicas neither publish a row twice nor overtake each other: every member's events
        reach Kafka in the order they were queued. The lock and the rows are held while Kafka
        answers; a relay that dies meanwhile (the fault point) leaves the rows queued, and the
        next one publishes them again: receivers drop the copies by their id.
        """
        t = self._table
        async with self._sessions() as session, session.begin():
            if not await _claim(session, self._table.name):
                return 0  # another replica is relaying; its rows would be ours
            # Taken off the queue and read in one statement; the deletion commits only once
            # Kafka has them (a failure or a death before that leaves them queued).
            taken = await session.execute(self._take)
            rows = sorted(taken.all(), key=lambda r: r.id)  # RETURNING keeps no order
            if not rows:
                metrics.OUTBOX_BACKLOG.labels(self._service).set(0)
                return 0
            await self._producer.send(
                [
                    OutgoingMessage(
                        topic=r.topic,
                        key=r.key.encode(),
                        value=r.payload,
                        headers=_headers(r.headers),
                    )
                    for r in rows
                ]
            )
            fault_point("after-publish-before-delete")
            backlog = 0
            if len(rows) == self._batch:  # more may wait
                # The span of the ids left: two index lookups. (A count(*) read the whole
                # table, 14 ms a call with a backlog; ids only have gaps where a transaction
                # rolled back, so the span is the backlog, or a little more.)
                first, last = (
                    await session.execute(select(func.min(t.c.id), func.max(t.c.id)))
                ).one()
                backlog = 0 if first is None else last - first + 1
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        metrics.OUTBOX_BACKLOG.labels(self._service).set(backlog)
        return len(rows)


async def _claim(session: AsyncSession, table: str) -> bool:
    """Whether this transaction may relay ``table`` (SQLite: one writer anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(await session.scalar(_claim_statement(table)))


@functools.cache
def _claim_statement(table: str) -> Select[Any]:
    key = int.from_bytes(
        hashlib.sha256(f"pointstream-relay:{table}".encode()).digest()[:8], "big", signed=True
    )
    return select(func.pg_try_advisory_xact_lock(key))
