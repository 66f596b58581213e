"""Readiness tells an orchestrator the truth about the service's dependencies."""

import pytest

from services.ledger.bootstrap import build_app
from services.ledger.settings import LedgerSettings
from shared.settings import KafkaSettings
from tests.apps import auth_settings, serving
from tests.conftest import Databases
from tests.infra import free_port

pytestmark = pytest.mark.integration


async def test_ready_when_database_and_kafka_answer(
    kafka_settings: KafkaSettings, databases: Databases
) -> None:
    settings = LedgerSettings(database_url=await databases.migrated("ledger"))
    async with serving(build_app(settings, kafka_settings, auth_settings())) as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert ready.status_code == 200
    assert alive.json() == {"status": "ok", "service": "ledger"}


async def test_not_ready_naming_the_database_when_it_is_unreachable(
    kafka_settings: KafkaSettings,
) -> None:
    nowhere = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/ledger"
    app = build_app(LedgerSettings(database_url=nowhere), kafka_settings, auth_settings())
    async with serving(app, ready=False) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    # start-up (which needs the database) keeps retrying meanwhile; Kafka is fine
    assert set(response.json()["failed"]) == {"database", "started"}
