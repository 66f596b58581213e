"""Each service's migration history applies to PostgreSQL and SQLite, and rolls back."""

import asyncio
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from shared.cli import alembic_config, migrate
from shared.db import create_engine
from tests.conftest import Databases
from tests.infra import REPO

pytestmark = pytest.mark.integration
SERVICES = ["rules", "ledger", "notifications"]


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def downgrade(service: str, url: str) -> None:
    command.downgrade(alembic_config(REPO / "services" / service, url), "base")


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_apply_and_roll_back_on_postgres(
    service: str, databases: Databases
) -> None:
    url = await databases.migrated(service)
    assert "alembic_version" in await table_names(url)
    assert len(await table_names(url)) > 1
    await asyncio.to_thread(downgrade, service, url)
    assert await table_names(url) == {"alembic_version"}


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_apply_on_sqlite(service: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    await asyncio.to_thread(migrate, REPO / "services" / service, url)
    assert "outbox" in await table_names(url) or service == "notifications"
    await asyncio.to_thread(downgrade, service, url)
    assert await table_names(url) == {"alembic_version"}
