"""Reading and writing topics from tests, always with a deadline, never a bare sleep."""

import asyncio
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings


async def produce(
    settings: KafkaSettings,
    topic: str,
    value: bytes,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=key, headers=headers)
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


async def read_all(
    settings: KafkaSettings, topic: str, *, timeout: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on the topic now: read each partition up to its end offset at the start."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(timeout):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for part in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(part)
        return records
    finally:
        await consumer.stop()
