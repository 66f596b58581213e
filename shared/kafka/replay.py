"""Replaying dead letters after a fix: each dead letter of one consumer group goes back to the
topic it came from, byte for byte, once (the replayer's own consumer group remembers where it
got to). An erased member's dead letters never go back: they are skipped (and stay on the
dead-letter topic only until its retention removes them)."""

import logging
from collections.abc import Awaitable, Callable, Collection

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.kafka import dead_letter
from shared.kafka.newest import newest_records
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


# Of these member ids (the dead letters' keys), those who were erased.
ErasedAmong = Callable[[Collection[str]], Awaitable[Collection[str]]]


async def replay_dead_letters(
    settings: KafkaSettings,
    *,
    group_id: str,
    erased: ErasedAmong | None = None,
    idle_ms: int = 2000,
) -> int:
    """Re-send this group's dead letters that were not replayed yet; how many. Those of
    members ``erased`` names, and refusals of erased members' messages, are skipped.

    Only the dead letters that exist when the replay starts: a message that fails again comes
    back as a new dead letter, and replaying that too would go round for ever."""
    topic = settings.topics.dead_letter
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"{group_id}.dead-letter-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = EventProducer(settings, client_id=f"{group_id}-replay")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        while True:
            batch = await consumer.getmany(timeout_ms=idle_ms, max_records=500)
            if not batch:
                return replayed
            messages = []
            offsets: dict[TopicPartition, int] = {}
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends.get(tp, 0):
                        continue  # dead-lettered after this replay began
                    offsets[tp] = record.offset + 1
                    message = _original(record, group_id)
                    if message is not None:
                        messages.append(message)
            messages = await _not_erased(messages, erased)
            await producer.send(messages)
            if offsets:
                await consumer.commit(offsets)
            replayed += len(messages)
            log.info("dead letters replayed", extra={"count": len(messages)})
            positions = {tp: await consumer.position(tp) for tp in consumer.assignment()}
            if all(positions.get(tp, 0) >= end for tp, end in ends.items()):
                return replayed
    finally:
        await producer.stop()
        await consumer.stop()


async def _not_erased(
    messages: list[OutgoingMessage], erased: ErasedAmong | None
) -> list[OutgoingMessage]:
    if erased is None or not messages:
        return messages
    gone = await erased({m.key.decode(errors="replace") for m in messages if m.key})
    kept = [m for m in messages if not (m.key and m.key.decode(errors="replace") in gone)]
    if len(kept) < len(messages):
        log.info(
            "dead letters of erased members skipped", extra={"count": len(messages) - len(kept)}
        )
    return kept


def _original(record: ConsumerRecord[bytes, bytes], group_id: str) -> OutgoingMessage | None:
    """The message as it was before it failed, for this group's dead letters only; None for
    another group's, and for a refusal of an erased member's message (nothing of it kept)."""
    headers = dict(record.headers or ())
    if headers.get(dead_letter.CONSUMER_GROUP, b"").decode() != group_id:
        return None
    if dead_letter.ERASED in headers:
        return None
    kept = tuple(
        (k.removeprefix("original."), v) for k, v in record.headers if k.startswith("original.")
    )
    return OutgoingMessage(
        topic=headers[dead_letter.ORIGINAL_TOPIC].decode(),
        key=record.key,
        value=record.value or b"",
        headers=kept,
    )


async def read_dead_letters(settings: KafkaSettings, *, limit: int = 100) -> list[dict[str, str]]:
    """The newest ``limit`` dead letters on the topic (all services'), newest first: where each
    came from, which consumer group refused it, why and when. Read without a consumer group,
    from each partition's last ``limit`` records."""
    letters: list[dict[str, str]] = []
    records = await newest_records(settings, settings.topics.dead_letter, per_partition=limit)
    for record in records:
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        letters.append(
            {
                "reason": headers.get(dead_letter.REASON, ""),
                "topic": headers.get(dead_letter.ORIGINAL_TOPIC, ""),
                "group": headers.get(dead_letter.CONSUMER_GROUP, ""),
                "failed_at": headers.get(dead_letter.FAILED_AT, ""),
                "key": (record.key or b"").decode(errors="replace"),
            }
        )
    return sorted(letters, key=lambda d: d["failed_at"], reverse=True)[:limit]
