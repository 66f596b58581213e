"""Each service's migration history applies to PostgreSQL and SQLite, and rolls back."""

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.reconciliation import reconcile
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


def upgrade(service: str, url: str, revision: str) -> None:
    command.upgrade(alembic_config(REPO / "services" / service, url), revision)


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
async def test_the_rules_awards_log_moves_into_totals_per_day_and_rule(
    database: str, databases: Databases, tmp_path: Path
) -> None:
    """An upgrade keeps the program report's figures: the log's sums per UTC day, rule and
    driver (take-backs with none) become the totals."""
    if database == "postgres":
        url = await databases.create("rules")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/rules.db"
    await asyncio.to_thread(upgrade, "rules", url, "0004")
    engine = create_engine(url)
    log = [  # (award_id, rule_id, driver, points, occurred_at)
        ("a1", "base-earn", "economic", 100, "2026-11-01 23:30:00+00:00"),
        ("a2", "base-earn", "economic", 50, "2026-11-01 08:00:00+00:00"),
        ("a3", "base-earn", None, -20, "2026-11-02 00:30:00+00:00"),
        ("a4", "birthday", "emotional", 100, "2026-11-02 12:00:00+00:00"),
    ]
    try:
        async with engine.begin() as conn:
            for award_id, rule_id, driver, points, at in log:
                await conn.execute(
                    text(
                        "INSERT INTO awards (award_id, event_id, member_id, rule_id, rule_version,"
                        " driver, points, occurred_at) VALUES (:a, 'e', 'm', :r, 1, :d, :p, :t)"
                    ),
                    {"a": award_id, "r": rule_id, "d": driver, "p": points, "t": at_utc(at)},
                )
        await asyncio.to_thread(upgrade, "rules", url, "head")
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT day, rule_id, driver, points, awards FROM award_totals")
            )
            totals = {(str(r.day), r.rule_id, r.driver): (r.points, r.awards) for r in rows}
    finally:
        await engine.dispose()
    assert totals == {
        ("2026-11-01", "base-earn", "economic"): (150, 2),
        ("2026-11-02", "base-earn", None): (-20, 1),
        ("2026-11-02", "birthday", "emotional"): (100, 1),
    }
    assert "awards" not in await table_names(url)


def at_utc(text_time: str) -> datetime:
    return datetime.fromisoformat(text_time)


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
async def test_the_ledgers_books_take_account_keys_and_still_reconcile(
    database: str, databases: Databases, tmp_path: Path
) -> None:
    """Ledger 0006: books written under members' ids move to their account keys (the one
    rewrite of entries, by the migration), reconcile as before, and move back on downgrade."""
    if database == "postgres":
        url = await databases.create("ledger")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/ledger.db"
    await asyncio.to_thread(upgrade, "ledger", url, "0005")
    engine = create_engine(url)
    at = at_utc("2026-11-01 12:00:00+00:00")
    try:
        async with engine.begin() as conn:
            for sql in (
                "INSERT INTO balances (member_id, available, pending, held, lifetime_earned,"
                " lifetime_redeemed, version, updated_at) VALUES ('m-1', 80, 0, 0, 80, 0, 1, :t)",
                "INSERT INTO operations (operation_id, kind, member_id, fingerprint, recorded_at)"
                " VALUES ('op-1', 'earn', 'm-1', 'f', :t)",
                "INSERT INTO entries (entry_id, operation_id, member_id, kind, points,"
                " debit_account, credit_account, available_after, pending_after, held_after,"
                " lot_id, explanation, recorded_at) VALUES ('e-1', 'op-1', 'm-1', 'earn', 80,"
                " 'program:issued', 'member:m-1:available', 80, 0, 0, 'lot-1', 'welcome', :t)",
                "INSERT INTO lots (lot_id, member_id, points, remaining, status, expired,"
                " created_at) VALUES ('lot-1', 'm-1', 80, 80, 'available', 0, :t)",
            ):
                await conn.execute(text(sql), {"t": at})
        await asyncio.to_thread(upgrade, "ledger", url, "head")
        async with engine.connect() as conn:
            key = await conn.scalar(text("SELECT account_key FROM balances"))
            entry = (await conn.execute(text("SELECT * FROM entries"))).one()
            operation_key = await conn.scalar(text("SELECT account_key FROM operations"))
            async with AsyncSession(conn) as session:
                books = await reconcile(session)
        await asyncio.to_thread(downgrade_to, "ledger", url, "0005")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT member_id, credit_account FROM entries"))).one()
    finally:
        await engine.dispose()
    assert key.startswith("~")
    assert (entry.account_key, entry.credit_account) == (key, f"member:{key}:available")
    assert operation_key == key
    assert books.ok, books.mismatches
    assert tuple(back) == ("m-1", "member:m-1:available")


def downgrade_to(service: str, url: str, revision: str) -> None:
    command.downgrade(alembic_config(REPO / "services" / service, url), revision)
