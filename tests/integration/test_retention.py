"""Personal data is kept only as long as it serves: old inbox messages, delivery logs and
processed-event ids are deleted by the services' jobs; the topics keep messages a week."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import insert, select

from services.notifications.adapters.orm import deliveries, inbox
from services.notifications.entrypoints.housekeeping import forget_old
from services.notifications.service_layer.unit_of_work import SqlAlchemyUnitOfWork as Notices
from services.rules.adapters.orm import processed_events
from services.rules.entrypoints.jobs import forget_processed
from services.rules.service_layer.unit_of_work import SqlAlchemyUnitOfWork as Rules
from shared.db import create_engine, session_factory
from shared.kafka.admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Databases

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


async def test_topics_are_created_keeping_messages_a_week_and_dead_letters_a_month(
    kafka_settings: KafkaSettings,
) -> None:
    await ensure_topics(kafka_settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        topics = kafka_settings.topics
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics.all()]
        )
    finally:
        await admin.close()
    # Each resource: (error code, error message, type, name, [(config, value, ...), ...]).
    retention = {
        resource[3]: int(entry[1])
        for answer in answers
        for resource in answer.resources
        for entry in resource[4]
        if entry[0] == "retention.ms"
    }
    week, month = 168 * 3_600_000, 720 * 3_600_000
    assert retention == {
        topics.events: week,
        topics.awards: week,
        topics.ledger: week,
        topics.dead_letter: month,
    }


async def test_processed_event_ids_are_forgotten_once_a_repeat_would_be_refused(
    databases: Databases, kafka_settings: KafkaSettings
) -> None:
    engine = create_engine(await databases.migrated("rules"))
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await session.execute(
                insert(processed_events),
                [
                    {
                        "event_id": name,
                        "event_type": "purchase.completed",
                        "member_id": "m-1",
                        "occurred_at": NOW - age,
                        "processed_at": NOW - age,
                    }
                    for name, age in (
                        ("last-year", timedelta(days=400)),
                        ("older", timedelta(days=402)),
                        ("ages-ago", timedelta(days=900)),
                    )
                ],
            )
        gone = await forget_processed(
            lambda: Rules(sessions, kafka_settings.topics.awards), keep=timedelta(days=401)
        )
        async with sessions() as session:
            kept = set(await session.scalars(select(processed_events.c.event_id)))
    finally:
        await engine.dispose()
    assert gone == 2
    assert kept == {"last-year"}


async def test_old_messages_and_finished_delivery_logs_are_deleted(databases: Databases) -> None:
    engine = create_engine(await databases.migrated("notifications"))
    sessions = session_factory(engine)

    def message(name: str, age: timedelta) -> dict[str, object]:
        return {
            "message_id": name,
            "member_id": "m-1",
            "kind": "points_earned",
            "title": "You earned points",
            "body": "...",
            "source_event_id": f"e-{uuid.uuid4().hex[:6]}",
            "created_at": NOW - age,
        }

    def delivery(name: str, age: timedelta, status: str) -> dict[str, object]:
        return {
            "delivery_id": name,
            "member_id": "m-1",
            "channel": "email",
            "kind": "points_earned",
            "address": "m-1@example.com",
            "subject": "You earned points",
            "body": "...",
            "status": status,
            "attempts": 1,
            "next_attempt_at": NOW,
            "created_at": NOW - age,
        }

    try:
        async with sessions() as session, session.begin():
            await session.execute(
                insert(inbox),
                [message("this-year", timedelta(days=300)), message("old", timedelta(days=400))],
            )
            await session.execute(
                insert(deliveries),
                [
                    delivery("sent-lately", timedelta(days=10), "sent"),
                    delivery("sent-long-ago", timedelta(days=100), "sent"),
                    delivery("given-up-long-ago", timedelta(days=100), "gave_up"),
                    delivery("still-retried", timedelta(days=100), "failed"),
                ],
            )
        gone = await forget_old(
            lambda: Notices(sessions),
            keep_messages=timedelta(days=365),
            keep_deliveries=timedelta(days=90),
        )
        async with sessions() as session:
            messages = set(await session.scalars(select(inbox.c.message_id)))
            logs = set(await session.scalars(select(deliveries.c.delivery_id)))
    finally:
        await engine.dispose()
    assert gone == 3
    assert messages == {"this-year"}
    assert logs == {"sent-lately", "still-retried"}
