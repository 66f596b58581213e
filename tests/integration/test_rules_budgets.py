"""A campaign budget holds exactly, with two rules-service replicas consuming at once."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import func, select

from services.rules.adapters.orm import outbox, processed_events
from services.rules.bootstrap import build_app
from services.rules.settings import RulesSettings
from shared.contracts.envelope import new_event
from shared.db import create_engine
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, auth_settings, serving
from tests.conftest import Databases
from tests.kafka_helpers import create_topics, read_all
from tests.polling import eventually

pytestmark = pytest.mark.integration
EVENTS = 60
LAUNCH = {
    "id": "launch-bonus",
    "name": "Launch week bonus",
    "driver": "economic",
    "events": ["purchase.completed"],
    "effect": {"type": "fixed", "points": 30},
    "caps": {"budget": 1000},
    "explanation": {"en": "launch week"},
}


@pytest.fixture
async def replicas(
    kafka_settings: KafkaSettings, databases: Databases
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    url = await databases.migrated("rules")
    await create_topics(kafka_settings)
    settings = RulesSettings(database_url=url, consumer_group=f"{kafka_settings.topic_prefix}r")
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            serving(build_app(settings, kafka_settings, auth_settings()))
        )
        saved = await first.put(
            "/v1/rules/launch-bonus", json=LAUNCH, headers={"X-API-Key": ADMIN_KEY}
        )
        assert saved.status_code == 200
        await stack.enter_async_context(
            serving(build_app(settings, kafka_settings, auth_settings()))
        )
        yield first, url


async def test_two_replicas_never_award_more_than_the_budget(
    replicas: tuple[httpx.AsyncClient, str], kafka_settings: KafkaSettings
) -> None:
    _, url = replicas
    producer = EventProducer(kafka_settings, client_id="test")
    await producer.start()
    try:
        await producer.send(
            [
                OutgoingMessage(
                    topic=kafka_settings.topics.events,
                    key=f"b-{n}".encode(),
                    value=new_event(
                        id=str(uuid.uuid4()),
                        source="pos/1",
                        type="purchase.completed",
                        subject=f"b-{n}",
                        data={
                            "purchase_id": f"p{n}",
                            "channel": "pos",
                            "currency": "DKK",
                            "total": "10",
                        },
                    ).to_bytes(),
                )
                for n in range(EVENTS)
            ]
        )
    finally:
        await producer.stop()

    engine = create_engine(url)

    async def backlog() -> tuple[int, int]:
        async with engine.connect() as conn:
            seen = await conn.scalar(select(func.count()).select_from(processed_events))
            queued = await conn.scalar(select(func.count()).select_from(outbox))
        return int(seen or 0), int(queued or 0)

    try:
        await eventually(
            backlog, lambda b: b == (EVENTS, 0), timeout=60, what="all evaluated and relayed"
        )
    finally:
        await engine.dispose()
    # Both replicas relay the one outbox, one at a time: each decision is published once.
    decisions = [
        json.loads(r.value) for r in await read_all(kafka_settings, kafka_settings.topics.awards)
    ]
    assert len({d["id"] for d in decisions}) == len(decisions)
    launch = sorted(
        a["points"]
        for d in decisions
        for a in d["data"].get("awards", [])
        if a["rule_id"] == "launch-bonus"
    )
    assert sum(launch) == 1000
    assert len(launch) == 34
    assert launch[0] == 10  # the last grant is what was left of the budget
