"""The shared consumer runtime against a real broker."""

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.envelope import CloudEvent, new_event
from shared.errors import RetryLater
from shared.kafka import dead_letter
from shared.kafka.consumer import ConsumerRuntime
from shared.kafka.producer import EventProducer
from shared.kafka.replay import replay_dead_letters
from shared.settings import KafkaSettings
from tests.kafka_helpers import create_topics, produce, read_until
from tests.polling import eventually

pytestmark = pytest.mark.integration


def event(event_id: str) -> bytes:
    return new_event(
        id=event_id, source="test", type="purchase.completed", subject="m-1", data={"n": event_id}
    ).to_bytes()


class Recorder:
    """A batch handler that remembers what it saw (a chunk at a time, all or nothing) and can
    fail on demand."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.transient_failures: dict[str, int] = {}
        self.always_fails: set[str] = set()

    async def __call__(self, events: Sequence[CloudEvent]) -> dict[int, str]:
        for e in events:
            if e.id in self.always_fails:
                raise RuntimeError(f"bug while handling {e.id}")
            if self.transient_failures.get(e.id, 0) > 0:
                self.transient_failures[e.id] -= 1
                raise RetryLater("database busy")
        self.seen.extend(e.id for e in events)
        return {}


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[EventProducer]:
    await create_topics(kafka_settings)
    producer = EventProducer(kafka_settings, client_id="test")
    await producer.start()
    yield producer
    await producer.stop()


async def run_runtime(
    kafka_settings: KafkaSettings,
    producer: EventProducer,
    handler: Recorder,
    *,
    from_outside: bool = False,
) -> tuple[ConsumerRuntime, asyncio.Task[None]]:
    runtime = ConsumerRuntime(
        service="test",
        settings=kafka_settings,
        topics=[kafka_settings.topics.events],
        group_id=f"{kafka_settings.topic_prefix}group",
        handler=handler,
        producer=producer,
        max_backoff=0.2,
        from_outside=from_outside,
    )
    return runtime, asyncio.create_task(runtime.run())


async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_next_flows(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    topics = kafka_settings.topics
    handler = Recorder()
    runtime, task = await run_runtime(kafka_settings, producer, handler)
    try:
        await produce(kafka_settings, topics.events, b"{not json", key=b"m-1")
        await produce(kafka_settings, topics.events, event("good-1"), key=b"m-1")
        [letter] = await read_until(kafka_settings, topics.dead_letter, lambda r: len(r) >= 1)
        await eventually(lambda: asyncio.sleep(0, handler.seen), lambda s: s == ["good-1"])
    finally:
        runtime.stop()
        await task
    headers = dict(letter.headers)
    assert letter.value == b"{not json"
    assert letter.key == b"m-1"
    assert b"not valid JSON" in headers[dead_letter.REASON]
    assert headers[dead_letter.ORIGINAL_TOPIC] == topics.events.encode()
    assert int(headers[dead_letter.ORIGINAL_OFFSET]) == 0


async def test_an_outside_event_dated_where_ingest_would_refuse_it_is_dead_lettered_saying_so(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    """Sent straight to the topic, not through ingest: judged by the same window, against the
    time its record was written, before any date arithmetic could fail on it."""
    topics = kafka_settings.topics
    handler = Recorder()
    now = datetime.now(UTC)

    def dated(event_id: str, time: datetime) -> bytes:
        return new_event(
            id=event_id, source="till", type="purchase.completed", subject="m-1", data={}, time=time
        ).to_bytes()

    runtime, task = await run_runtime(kafka_settings, producer, handler, from_outside=True)
    try:
        far = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)
        await produce(kafka_settings, topics.events, dated("in-9999", far), key=b"m-1")
        old = now - timedelta(days=401)
        await produce(kafka_settings, topics.events, dated("too-old", old), key=b"m-1")
        late = now - timedelta(days=399)
        await produce(kafka_settings, topics.events, dated("late", late), key=b"m-1")
        letters = await read_until(kafka_settings, topics.dead_letter, lambda r: len(r) >= 2)
        await eventually(lambda: asyncio.sleep(0, handler.seen), lambda s: s == ["late"])
    finally:
        runtime.stop()
        await task
    reasons = {
        json.loads(r.value)["id"]: dict(r.headers)[dead_letter.REASON].decode() for r in letters
    }
    assert "more than 24 hours after it arrived" in reasons["in-9999"]
    assert "more than 400 days before it arrived" in reasons["too-old"]


async def test_a_transient_failure_is_retried_in_order_and_nothing_is_dead_lettered(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    handler = Recorder()
    handler.transient_failures["flaky"] = 3
    runtime, task = await run_runtime(kafka_settings, producer, handler)
    try:
        await produce(kafka_settings, kafka_settings.topics.events, event("flaky"), key=b"m-1")
        await produce(kafka_settings, kafka_settings.topics.events, event("after"), key=b"m-1")
        await eventually(lambda: asyncio.sleep(0, handler.seen), lambda s: s == ["flaky", "after"])
    finally:
        runtime.stop()
        await task
    # Same key, same partition: any dead letter for m-1 would come before the marker.
    await produce(kafka_settings, kafka_settings.topics.dead_letter, b"marker", key=b"m-1")
    letters = await read_until(
        kafka_settings,
        kafka_settings.topics.dead_letter,
        lambda r: any(m.value == b"marker" for m in r),
    )
    assert [m.value for m in letters] == [b"marker"]


async def test_a_handler_bug_is_retried_then_dead_lettered_and_the_consumer_moves_on(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    handler = Recorder()
    handler.always_fails.add("buggy")
    runtime, task = await run_runtime(kafka_settings, producer, handler)
    try:
        await produce(kafka_settings, kafka_settings.topics.events, event("buggy"), key=b"m-1")
        await produce(kafka_settings, kafka_settings.topics.events, event("next"), key=b"m-1")
        [letter] = await read_until(
            kafka_settings, kafka_settings.topics.dead_letter, lambda r: len(r) >= 1
        )
        await eventually(lambda: asyncio.sleep(0, handler.seen), lambda s: s == ["next"])
    finally:
        runtime.stop()
        await task
    assert b"handler failed 3 times" in dict(letter.headers)[dead_letter.REASON]
    assert json.loads(letter.value)["id"] == "buggy"


async def test_offsets_are_committed_so_a_restarted_consumer_does_not_reprocess(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    first = Recorder()
    runtime, task = await run_runtime(kafka_settings, producer, first)
    try:
        await produce(kafka_settings, kafka_settings.topics.events, event("once"), key=b"m-1")
        await eventually(lambda: asyncio.sleep(0, first.seen), lambda s: s == ["once"])
    finally:
        runtime.stop()
        await task
    second = Recorder()
    runtime, task = await run_runtime(kafka_settings, producer, second)
    try:
        await produce(kafka_settings, kafka_settings.topics.events, event("twice"), key=b"m-1")
        await eventually(lambda: asyncio.sleep(0, second.seen), lambda s: "twice" in s)
    finally:
        runtime.stop()
        await task
    assert second.seen == ["twice"]


async def test_dead_letters_are_replayed_once_after_the_fix(
    kafka_settings: KafkaSettings, producer: EventProducer
) -> None:
    handler = Recorder()
    handler.always_fails.add("needs-a-fix")
    group = f"{kafka_settings.topic_prefix}group"
    runtime, task = await run_runtime(kafka_settings, producer, handler)
    try:
        await produce(
            kafka_settings, kafka_settings.topics.events, event("needs-a-fix"), key=b"m-1"
        )
        await read_until(kafka_settings, kafka_settings.topics.dead_letter, lambda r: len(r) >= 1)
        handler.always_fails.clear()  # the fix is deployed
        assert await replay_dead_letters(kafka_settings, group_id=group, idle_ms=500) == 1
        assert await replay_dead_letters(kafka_settings, group_id=group, idle_ms=500) == 0
        await eventually(lambda: asyncio.sleep(0, handler.seen), lambda s: s == ["needs-a-fix"])
    finally:
        runtime.stop()
        await task
