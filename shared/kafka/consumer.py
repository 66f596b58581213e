"""The consumer runtime every service runs.

Batches from Kafka; each message is decoded and handed to the service's handler. Given the
service's sessionmaker, the runtime runs consecutive messages in one database transaction (each
in a savepoint, see :class:`shared.uow.Batch`) for up to ``KAFKA_MAX_BATCH_SECONDS`` of work;
if anything in it fails, it is rolled back and those messages are redone one at a time, each
handler committing its own transaction. Offsets are committed only after that, so delivery is
at-least-once and the handlers' idempotency makes the effect exactly-once. A message that breaks
the contract goes to the dead-letter topic with its reason; the consumer never stalls on it.
A transient failure (database or Kafka unreachable) is retried with backoff, forever: skipping
would lose the event.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics, tracing
from shared.contracts.envelope import CloudEvent, InvalidMessage, parse_envelope
from shared.errors import RetryLater
from shared.kafka.dead_letter import dead_letter_message
from shared.kafka.producer import EventProducer
from shared.lifecycle import wait_for_event
from shared.settings import KafkaSettings
from shared.uow import Batch

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]
_TRANSIENT = (RetryLater, OSError, asyncio.TimeoutError, OperationalError, KafkaError)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _TRANSIENT)


def _mark(done: dict[TopicPartition, int], records: list[ConsumerRecord[bytes, bytes]]) -> None:
    for record in records:
        done[TopicPartition(record.topic, record.partition)] = record.offset + 1


def _span_attributes(event: CloudEvent) -> dict[str, str]:
    return {"cloudevents.event_id": event.id, "cloudevents.event_type": event.type}


def _type_label(event_type: str) -> str:
    """Event types come from producers: only short, plain ones become label values."""
    if len(event_type) <= 64 and event_type.replace(".", "").replace("_", "").isalnum():
        return event_type
    return "other"


class ConsumerRuntime:
    def __init__(
        self,
        *,
        service: str,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: Handler,
        producer: EventProducer,
        max_attempts: int = 3,
        max_backoff: float = 5.0,
        batch_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._service = service
        self._settings = settings
        self._topics = tuple(topics)
        self._group_id = group_id
        self._handler = handler
        self._producer = producer
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff
        self._batch_sessions = batch_sessions
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None

    def stop(self) -> None:
        """Finish the message in hand, commit, and leave the group."""
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
        )
        await self._consumer.start()
        try:
            while not self._stopping.is_set():
                batch = await self._consumer.getmany(
                    timeout_ms=300, max_records=self._settings.max_batch
                )
                done = await self._process(batch)
                await self._commit(done)
                await self._report_lag()
        finally:
            await self._consumer.stop()

    async def _process(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> dict[TopicPartition, int]:
        """Handle the batch in order, in transactions of up to ``max_batch_seconds`` of work;
        a transaction that fails is rolled back and its messages, up to the one that failed,
        are handled one at a time; then batching resumes."""
        records = [record for part in batch.values() for record in part]
        done: dict[TopicPartition, int] = {}
        at = 0
        while at < len(records):
            committed, failed_at = await self._process_together(records[at:])
            if committed:
                handled = records[at : at + committed]
            else:  # nothing written: one at a time, through the one that failed (or the next)
                handled = records[at : at + (1 if failed_at is None else failed_at + 1)]
                for count, record in enumerate(handled):
                    if not await self._process_one(record):
                        _mark(done, handled[:count])
                        return done  # stopping while a transient failure persisted
            _mark(done, handled)
            at += len(handled)
        return done

    async def _process_together(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[int, int | None]:
        """The first messages, in one transaction, until ``max_batch_seconds`` of work (a lock
        taken by the first is held until the commit). ``(n, None)``: n handled and committed;
        ``(0, i)``: nothing written, message i failed (or the commit, i = the last one)."""
        if self._batch_sessions is None or len(records) < 2:
            return 0, None
        started = time.perf_counter()
        deadline = started + self._settings.max_batch_seconds
        handled: list[tuple[str, str]] = []
        try:
            async with Batch(self._batch_sessions) as together:
                for record in records:
                    event = parse_envelope(record.value or b"")
                    with tracing.consuming(record.topic, record.headers) as span:
                        span.set_attributes(_span_attributes(event))
                        await self._handler(event)
                    handled.append((record.topic, event.type))
                    if time.perf_counter() >= deadline:
                        break
                await together.commit()
        except Exception as exc:  # noqa: BLE001 - redone one by one, each failure judged alone
            metrics.BATCH_FALLBACKS.labels(self._service).inc()
            log.info(
                "batch failed; one message at a time",
                extra={"error": type(exc).__name__, "message_index": len(handled)},
            )
            return 0, min(len(handled), len(records) - 1)
        elapsed = time.perf_counter() - started
        metrics.BATCH_SECONDS.labels(self._service).observe(elapsed)
        for topic, event_type in handled:
            metrics.CONSUMED.labels(self._service, topic, _type_label(event_type), "handled").inc()
            metrics.HANDLE_SECONDS.labels(self._service, topic).observe(elapsed / len(handled))
        return len(handled), None

    async def _process_one(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        started = time.perf_counter()
        try:
            event = parse_envelope(record.value or b"")
        except InvalidMessage as exc:
            await self._dead_letter(record, str(exc))
            self._count(record, "other", "dead_lettered", started)
            return True
        about = {"event_id": event.id, "member_id": event.subject, "event_type": event.type}
        with tracing.consuming(record.topic, record.headers) as span:
            span.set_attributes(_span_attributes(event))
            outcome = await self._handle_with_retries(record, event, about)
        if outcome is None:
            return False  # stopping while a transient failure persisted
        self._count(record, event.type if outcome == "handled" else "other", outcome, started)
        return True

    async def _handle_with_retries(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent, about: dict[str, str]
    ) -> str | None:
        """The outcome (handled, dead_lettered), or None when asked to stop meanwhile."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handler(event)
                outcome = "handled"
                break
            except InvalidMessage as exc:
                await self._dead_letter(record, str(exc), about)
                outcome = "dead_lettered"
                break
            except Exception as exc:
                transient = is_transient(exc)
                kind = "transient" if transient else "error"
                metrics.HANDLER_RETRIES.labels(self._service, record.topic, kind).inc()
                log.warning(
                    "handler failed",
                    exc_info=exc,
                    extra={
                        "topic": record.topic,
                        "offset": record.offset,
                        "attempt": attempt,
                        **about,
                    },
                )
                if not transient and attempt >= self._max_attempts:
                    reason = f"handler failed {attempt} times: {exc!r}"
                    await self._dead_letter(record, reason, about)
                    outcome = "dead_lettered"
                    break
                if await self._backoff(attempt):
                    return None
        return outcome

    def _count(
        self, record: ConsumerRecord[bytes, bytes], event_type: str, outcome: str, started: float
    ) -> None:
        metrics.CONSUMED.labels(self._service, record.topic, _type_label(event_type), outcome).inc()
        metrics.HANDLE_SECONDS.labels(self._service, record.topic).observe(
            time.perf_counter() - started
        )

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

    async def _backoff(self, attempt: int) -> bool:
        """Wait before the next attempt; True when asked to stop meanwhile."""
        return await wait_for_event(
            self._stopping, min(self._max_backoff, 0.1 * 2 ** (attempt - 1))
        )

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        reason: str,
        about: dict[str, str] | None = None,
    ) -> None:
        log.error(
            "dead-lettered message",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason[:500],
                **(about or {}),
            },
        )
        message = dead_letter_message(
            record,
            reason=reason,
            topic=self._settings.topics.dead_letter,
            group_id=self._group_id,
        )
        while True:  # losing the dead letter would lose the message: retry until Kafka takes it
            try:
                await self._producer.send([message])
                return
            except KafkaError:
                log.warning("dead-letter topic unreachable; retrying", exc_info=True)
                await asyncio.sleep(1)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced: the new owner re-reads these messages; handlers are idempotent.
            log.warning("offset commit failed after a rebalance", extra={"offsets": str(offsets)})
