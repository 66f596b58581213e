"""Chunks in one transaction: every good message's write lands once and in order, a poison
message in the middle of a chunk is dead-lettered alone (the chunk is split until it is), and
nothing it wrote survives."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.inbound import PayloadError
from shared.db import create_engine, session_factory
from shared.kafka.consumer import ConsumerRuntime
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.settings import KafkaSettings
from shared.uow import SqlAlchemyTransaction
from tests.conftest import Databases
from tests.kafka_helpers import create_topics, read_until
from tests.polling import eventually

pytestmark = pytest.mark.integration
metadata = MetaData()
seen = Table(
    "seen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False, unique=True),
)


@pytest.fixture
async def engine(databases: Databases) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await databases.create("batches"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_a_poison_message_mid_batch_is_dead_lettered_alone_and_the_rest_land_once(
    kafka_settings: KafkaSettings, engine: AsyncEngine
) -> None:
    sessions = session_factory(engine)
    poison = "event-37"

    chunks: list[int] = []

    async def handler(events: Sequence[CloudEvent]) -> dict[int, str]:
        async with SqlAlchemyTransaction(sessions) as uow:
            await uow.session.execute(insert(seen), [{"event_id": e.id} for e in events])
            if any(e.id == poison for e in events):  # after its write: it must not survive
                raise PayloadError("this event's data is impossible")
            await uow.commit()
        chunks.append(len(events))
        return {}

    settings = kafka_settings
    await create_topics(settings)
    producer = EventProducer(settings, client_id="test")
    await producer.start()
    ids = [f"event-{n}" for n in range(200)]
    runtime = ConsumerRuntime(
        service="test",
        settings=settings,
        topics=[settings.topics.events],
        group_id=f"{settings.topic_prefix}{uuid.uuid4().hex[:6]}",
        handler=handler,
        producer=producer,
    )
    task = asyncio.create_task(runtime.run())
    try:
        await producer.send(
            [
                OutgoingMessage(
                    topic=settings.topics.events,
                    key=b"one-member",  # one partition: order is checkable
                    value=new_event(
                        id=i, source="test", type="purchase.completed", subject="m", data={}
                    ).to_bytes(),
                )
                for i in ids
            ]
        )

        async def rows() -> list[str]:
            async with engine.connect() as conn:
                return list(await conn.scalars(select(seen.c.event_id).order_by(seen.c.id)))

        landed = await eventually(rows, lambda r: len(r) >= len(ids) - 1, what="all but one")
        letters = await read_until(settings, settings.topics.dead_letter, lambda r: len(r) >= 1)
    finally:
        runtime.stop()
        await task
        await producer.stop()
    assert landed == [i for i in ids if i != poison]  # each once, in the order sent
    assert max(chunks) > 1  # messages were handled together, not one by one
    assert len(letters) == 1
    assert dict(letters[0].headers)["dlq.reason"].decode().startswith("this event's data")
