"""Reading and writing topics from tests, always with a deadline, never a bare sleep."""

import asyncio
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings


async def produce(
    settings: KafkaSettings, topic: str, value: bytes, key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_until(
    settings: KafkaSettings,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    timeout: float = 30,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read the topic from the start until ``done(records)`` holds; fail at the deadline."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while not done(records):
                batch = await consumer.getmany(timeout_ms=200)
                for part in batch.values():
                    records.extend(part)
    except TimeoutError:
        raise AssertionError(
            f"{topic}: condition not met within {timeout}s; read {len(records)} records"
        ) from None
    finally:
        await consumer.stop()
    return records


async def create_topics(settings: KafkaSettings) -> None:
    await ensure_topics(settings)
