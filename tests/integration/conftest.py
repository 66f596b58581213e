"""One service's app served in-process on real PostgreSQL and Kafka, for the integration tests
of its HTTP API. A module says which service it tests: ``pytest.mark.serves("ledger")``."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.ledger.bootstrap import build_app as ledger_app
from services.ledger.settings import LedgerSettings
from services.rules.bootstrap import build_app as rules_app
from services.rules.settings import RulesSettings
from shared.settings import KafkaSettings, ServiceSettings
from tests.apps import auth_settings, serving
from tests.conftest import Databases
from tests.kafka_helpers import create_topics

APPS: dict[str, tuple[type[ServiceSettings], Callable[..., Any]]] = {
    "rules": (RulesSettings, rules_app),
    "ledger": (LedgerSettings, ledger_app),
}


@pytest.fixture
async def served(
    request: pytest.FixtureRequest, kafka_settings: KafkaSettings, databases: Databases
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of the module's service, and its database's URL."""
    marker = request.node.get_closest_marker("serves")
    assert marker is not None, 'mark the module: pytestmark = [pytest.mark.serves("ledger")]'
    service = marker.args[0]
    settings_type, build_app = APPS[service]
    url = await databases.migrated(service)
    settings = settings_type(
        database_url=url, consumer_group=f"{kafka_settings.topic_prefix}{service}"
    )
    await create_topics(kafka_settings)
    async with serving(build_app(settings, kafka_settings, auth_settings())) as client:
        yield client, url


@pytest.fixture
def client(served: tuple[httpx.AsyncClient, str]) -> httpx.AsyncClient:
    return served[0]
