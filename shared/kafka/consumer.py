"""The consumer runtime every service runs.

It fetches up to ``KAFKA_MAX_BATCH`` records, dead-letters those that are not CloudEvents, and
hands the rest to the service's batch handler as one chunk: one call, one database transaction,
one query per kind of row (see :mod:`shared.kafka.chunks` for what happens when it fails).
Rejected events are dead-lettered with their reason once the chunk is committed; offsets are
committed only after that, so delivery is at-least-once and the handlers' idempotency makes the
effect exactly-once. The consumer never stalls on a bad message.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from shared import metrics, tracing
from shared.contracts.envelope import (
    TYPE_HEADER,
    CloudEvent,
    InvalidMessage,
)
from shared.faults import fault_point
from shared.kafka.chunks import BatchHandler, ChunkPolicy, is_transient
from shared.kafka.dead_letter import dead_letter_message, member_ref, without_member
from shared.kafka.producer import EventProducer
from shared.kafka.records import Record, check_time, event_of, offsets_done, type_label
from shared.retry import Backoff, retrying
from shared.settings import KafkaSettings

__all__ = ["BatchHandler", "ConsumerRuntime", "is_transient"]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Consumed:
    record: Record
    event: CloudEvent


def _event_of(item: _Consumed) -> CloudEvent:
    return item.event


class ConsumerRuntime:
    def __init__(
        self,
        *,
        service: str,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: BatchHandler,
        producer: EventProducer,
        max_attempts: int = 3,
        max_backoff: float = 5.0,
        skip_types: frozenset[str] = frozenset(),
        from_outside: bool = False,
    ) -> None:
        """``from_outside``: the topics carry events from tills and shops (not the services'
        own): an event whose time is implausible for when it was written is dead-lettered."""
        self._service = service
        self._from_outside = from_outside
        self._skip_types = frozenset(t.encode() for t in skip_types)
        self._settings = settings
        self._topics = tuple(topics)
        self._group_id = group_id
        self._producer = producer
        self._stopping = asyncio.Event()
        self._chunks = ChunkPolicy(
            handler,
            _event_of,
            stopping=self._stopping,
            max_attempts=max_attempts,
            max_backoff=max_backoff,
            on_retry=self._count_retry,
        )
        self._consumer: AIOKafkaConsumer | None = None

    def stop(self) -> None:
        """Finish the chunk in hand, commit, and leave the group."""
        self._stopping.set()

    async def run(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.bootstrap_servers,
            group_id=self._group_id,
            client_id=f"{self._service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_min_bytes=self._settings.fetch_min_bytes,
            fetch_max_wait_ms=self._settings.fetch_max_wait_ms,
        )
        await self._consumer.start()
        # A chunk's offsets are committed while the next chunk is fetched and handled (its
        # transaction committed first, as ever): the broker's answer (several milliseconds on
        # a busy machine) no longer stands between one chunk and the next. Commits stay in
        # order: each waits for the one before.
        committing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                batch = await self._consumer.getmany(
                    timeout_ms=200, max_records=self._settings.max_batch
                )
                records = [record for part in batch.values() for record in part]
                if not records:
                    continue
                done = await self._process(records)
                fault_point("before-offset-commit")
                if committing is not None:
                    await committing
                committing = asyncio.create_task(self._commit(done))
        finally:
            if committing is not None:
                await asyncio.gather(committing, return_exceptions=True)
            await self._consumer.stop()

    async def _process(self, records: list[Record]) -> dict[TopicPartition, int]:
        """Settle the records; the offsets to commit (per partition, up to the first record
        not settled: only when asked to stop while a transient failure persisted)."""
        started = time.perf_counter()
        items, settled = [], set()
        for record in records:
            if self._skip_types and self._skipped(record):
                settled.add(id(record))
                continue
            try:
                event = event_of(record)
                if self._from_outside:
                    event = check_time(record, event)
                items.append(_Consumed(record, event))
            except InvalidMessage as exc:
                await self._dead_letter(record, str(exc))
                self._count(record.topic, "other", "dead_lettered")
                settled.add(id(record))
        topic = items[0].record.topic if items else self._topics[0]
        with tracing.consuming_chunk(
            topic, [i.record.headers for i in items], (i.event.type for i in items)
        ):
            outcome = await self._chunks.settle(items)
        for item, reason in outcome.dead:
            event = item.event
            await self._dead_letter(item.record, reason, event.subject, event.type)
            self._count(item.record.topic, "other", "dead_lettered")
        for item in outcome.handled:
            self._count(item.record.topic, item.event.type, "handled")
        settled.update(id(i.record) for i in items[: outcome.settled])
        if outcome.splits:
            metrics.BATCH_FALLBACKS.labels(self._service).inc(outcome.splits)
        elapsed = time.perf_counter() - started
        metrics.BATCH_SECONDS.labels(self._service).observe(elapsed)
        for topic in {r.topic for r in records}:
            metrics.HANDLE_SECONDS.labels(self._service, topic).observe(elapsed / len(records))
        return offsets_done(records, settled)

    def _skipped(self, record: Record) -> bool:
        """A message of a type this consumer does not handle, known by its ``ce_type`` header
        (which pointstream writes on every message): skipped unread."""
        for key, value in record.headers or ():
            if key == TYPE_HEADER:
                if value in self._skip_types:
                    self._count(record.topic, value.decode(), "skipped")
                    return True
                return False
        return False

    def _count(self, topic: str, event_type: str, outcome: str) -> None:
        metrics.CONSUMED.labels(self._service, topic, type_label(event_type), outcome).inc()

    def _count_retry(self, kind: str) -> None:
        for topic in self._topics:
            metrics.HANDLER_RETRIES.labels(self._service, topic, kind).inc()

    async def _report_lag(self) -> None:
        """Per assigned partition: how far this replica is behind the partition's end (the
        whole fetched batch is processed before the next, so position is what is done)."""
        if self._consumer is None:
            return
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is None:
                continue
            try:  # known after a fetch; bounded in case it is not (Kafka away)
                position = await asyncio.wait_for(self._consumer.position(tp), timeout=1)
            except (IllegalStateError, TimeoutError):  # revoked meanwhile, or unknown yet
                continue
            metrics.CONSUMER_LAG.labels(self._service, tp.topic, str(tp.partition)).set(
                max(0, end - position)
            )

    async def _dead_letter(
        self,
        record: Record,
        reason: str,
        member_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        about = {"member": member_ref(member_id), "event_type": event_type} if member_id else {}
        log.error(
            "dead-lettered message",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": without_member(reason, member_id)[:500],
                **about,
            },
        )
        message = dead_letter_message(
            record,
            reason=reason,
            topic=self._settings.topics.dead_letter,
            group_id=self._group_id,
            member_id=member_id,
        )
        # Losing the dead letter would lose the message: retried until Kafka takes it.
        await retrying(
            lambda: self._producer.send([message]),
            backoff=Backoff(1.0, 1.0),
            on=KafkaError,
            what="dead-letter topic unreachable",
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if offsets and self._consumer is not None:
            try:
                await self._consumer.commit(offsets)
            except CommitFailedError:
                # The group rebalanced: the new owner re-reads these messages; handlers are
                # idempotent.
                log.warning(
                    "offset commit failed after a rebalance", extra={"offsets": str(offsets)}
                )
        await self._report_lag()
