"""Fixtures for real infrastructure. Unit tests request none of them and start nothing."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.cli import migrate
from shared.settings import KafkaSettings
from tests import infra


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka_bootstrap_servers() as servers:
        yield servers


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with infra.postgres_server_url() as url:
        yield url


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> KafkaSettings:
    """Topics with a prefix of their own, so that no test sees another's messages."""
    return KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        topic_partitions=3,
    )


class Databases:
    """Creates uniquely named PostgreSQL databases, migrated to a service's newest schema."""

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        self.created: list[str] = []

    @property
    def server_url(self) -> str:
        return self._server_url

    async def create(self, service: str) -> str:
        name = f"{service}_{uuid.uuid4().hex[:12]}"
        await _admin_execute(self._server_url, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"{self._server_url}/{name}"

    async def migrated(self, service: str) -> str:
        url = await self.create(service)
        # Alembic's env.py runs its own event loop: give it a thread of its own.
        await asyncio.to_thread(migrate, infra.REPO / "services" / service, url)
        return url


async def _admin_execute(server_url: str, sql: str) -> None:
    url = make_url(f"{server_url}/postgres")
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def databases(postgres_server: str) -> AsyncIterator[Databases]:
    dbs = Databases(postgres_server)
    yield dbs
    for name in dbs.created:
        await _admin_execute(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def ledger_url(databases: Databases) -> str:
    """A migrated ledger database shared by the ledger's integration tests."""
    return await databases.migrated("ledger")
