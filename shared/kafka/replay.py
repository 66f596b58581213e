"""Replaying dead letters after a fix: each dead letter of one consumer group goes back to the
topic it came from, byte for byte, once (the replayer's own consumer group remembers where it
got to)."""

import logging

from aiokafka import AIOKafkaConsumer

from shared.kafka import dead_letter
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


async def replay_dead_letters(
    settings: KafkaSettings, *, group_id: str, idle_ms: int = 2000
) -> int:
    """Re-send this group's dead letters that were not replayed yet; how many."""
    consumer = AIOKafkaConsumer(
        settings.topics.dead_letter,
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
        while True:
            batch = await consumer.getmany(timeout_ms=idle_ms, max_records=500)
            if not batch:
                return replayed
            messages = []
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers or ())
                    if headers.get(dead_letter.CONSUMER_GROUP, b"").decode() != group_id:
                        continue
                    original = headers[dead_letter.ORIGINAL_TOPIC].decode()
                    kept = tuple(
                        (k.removeprefix("original."), v)
                        for k, v in record.headers
                        if k.startswith("original.")
                    )
                    messages.append(
                        OutgoingMessage(
                            topic=original, key=record.key, value=record.value or b"", headers=kept
                        )
                    )
            await producer.send(messages)
            await consumer.commit()
            replayed += len(messages)
            log.info("dead letters replayed", extra={"count": len(messages)})
    finally:
        await producer.stop()
        await consumer.stop()
