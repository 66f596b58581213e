"""Transactional outbox: events are written with the state change that caused them, in one
transaction, and a relay publishes them to Kafka afterwards (at least once; ids de-duplicate)."""

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert

from shared import metrics, tracing
from shared.contracts.envelope import CloudEvent
from shared.db import UtcDateTime
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.lifecycle import wait_for_event

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


def outbox_insert(table: Table, topic: str, events: list[CloudEvent]) -> Insert:
    now = datetime.now(UTC)
    headers = tracing.encode(tracing.current_headers())
    return insert(table).values(
        [
            {
                "event_id": e.id,
                "topic": topic,
                "key": e.subject,
                "payload": e.to_bytes(),
                "created_at": now,
                "headers": headers,
            }
            for e in events
        ]
    )


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
                await wait_for_event(self._wake, min(5.0, 0.1 * 2**failures))
                continue
            if relayed < self._batch:
                self._wake.clear()
                await wait_for_event(self._wake, self._idle_poll)

    async def relay_once(self) -> int:
        """Publish the oldest unpublished events; rows go once Kafka acknowledged them.

        No transaction is held while waiting for Kafka (it may be away for a while). Replicas
        may publish a row twice; each publishes in id order, so the first copy of every event
        still arrives in order, and receivers drop the second by its id.
        """
        t = self._table
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.headers)
                    .order_by(t.c.id)
                    .limit(self._batch)
                )
            ).all()
        if not rows:
            metrics.OUTBOX_BACKLOG.labels(self._service).set(0)
            return 0
        await self._producer.send(
            [
                OutgoingMessage(
                    topic=r.topic,
                    key=r.key.encode(),
                    value=r.payload,
                    headers=tracing.decode(r.headers),
                )
                for r in rows
            ]
        )
        async with self._sessions() as session, session.begin():
            await session.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        backlog = 0
        if len(rows) == self._batch:  # more may wait: count them (cheap next to the relaying)
            async with self._sessions() as session:
                backlog = await session.scalar(select(func.count()).select_from(t)) or 0
        metrics.OUTBOX_BACKLOG.labels(self._service).set(backlog)
        return len(rows)
