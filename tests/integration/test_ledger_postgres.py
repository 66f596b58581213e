"""The ledger's unit of work against real PostgreSQL: idempotency, immutability, concurrency."""

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.orm import account_key_of, balances, entries, outbox
from services.ledger.adapters.reconciliation import reconcile
from services.ledger.domain.commands import RecordAward, RedeemPoints
from services.ledger.domain.errors import InsufficientPoints
from services.ledger.domain.model import Policy
from services.ledger.entrypoints.jobs import run_due_jobs
from services.ledger.service_layer import handlers
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.cli import migrate
from shared.db import create_engine, session_factory
from tests.infra import REPO

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
POLICY = Policy(expire_after=timedelta(days=365))


@pytest.fixture(scope="module")
async def sessions(ledger_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(ledger_url)
    yield session_factory(engine)
    await engine.dispose()


def member() -> str:
    return f"m-{uuid.uuid4().hex[:8]}"


def award(member_id: str, points: int = 10) -> RecordAward:
    return RecordAward(
        award_id=uuid.uuid4().hex,
        member_id=member_id,
        points=points,
        rule_id="base-earn",
        rule_version=1,
        explanation="1 point per whole DKK spent",
        source_event_id="e",
        pending_until=None,
    )


def uow(sessions: async_sessionmaker[AsyncSession]) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(sessions, "loyalty.ledger.v1")


async def record(sessions: async_sessionmaker[AsyncSession], a: RecordAward) -> None:
    await handlers.with_retries(
        lambda: handlers.record_award(a, uow=uow(sessions), policy=POLICY, now=NOW)
    )


async def test_the_same_award_twice_is_one_entry_and_one_event(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    m = member()
    the_award = award(m, points=120)
    await record(sessions, the_award)
    await record(sessions, the_award)
    async with sessions() as s:
        count = await s.scalar(
            select(func.count()).where(entries.c.account_key == account_key_of(m))
        )
        queued = await s.scalar(select(func.count()).where(outbox.c.key == m))
        report = await reconcile(s, members=[m])
    assert (count, queued) == (1, 1)
    assert report.ok, report.mismatches


_KEY = "(SELECT account_key FROM balances WHERE member_id = :m)"


@pytest.mark.parametrize("table", ["entries", "operations"])
async def test_entries_and_operations_cannot_be_changed_even_with_raw_sql(
    sessions: async_sessionmaker[AsyncSession], table: str
) -> None:
    m = member()
    await record(sessions, award(m))
    for statement in (
        f"UPDATE {table} SET account_key = 'someone-else' WHERE account_key = {_KEY}",
        f"DELETE FROM {table} WHERE account_key = {_KEY}",
        f"TRUNCATE {table}",
    ):
        async with sessions() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement), {"m": m})
    async with sessions() as s:
        assert (await reconcile(s, members=[m])).ok


async def test_concurrent_awards_for_one_member_all_land(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    m = member()
    await asyncio.gather(*(record(sessions, award(m, points=p)) for p in range(1, 21)))
    async with sessions() as s:
        total = await s.scalar(
            select(func.sum(entries.c.points)).where(entries.c.account_key == account_key_of(m))
        )
        report = await reconcile(s, members=[m])
    assert total == 210
    assert report.ok, report.mismatches


@pytest.fixture(params=["postgresql", "sqlite"])
async def any_sessions(
    request: pytest.FixtureRequest, ledger_url: str, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The production database and the embedded default of `make run`."""
    url = ledger_url
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/ledger.db"
        await asyncio.to_thread(migrate, REPO / "services" / "ledger", url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def test_many_simultaneous_redemptions_never_overdraw_and_each_success_is_an_entry(
    any_sessions: async_sessionmaker[AsyncSession],
) -> None:
    sessions = any_sessions
    m = member()
    await record(sessions, award(m, points=1000))

    async def redeem(n: int) -> bool:
        command = RedeemPoints(
            redemption_id=f"{m}-r{n}", member_id=m, points=70, description="coffee"
        )
        try:
            await handlers.with_retries(
                lambda: handlers.redeem_points(command, uow=uow(sessions), now=NOW), attempts=50
            )
        except InsufficientPoints:
            return False
        return True

    accepted = sum(await asyncio.gather(*(redeem(n) for n in range(40))))
    async with sessions() as s:
        redeemed = await s.scalar(
            select(func.count()).where(
                entries.c.account_key == account_key_of(m), entries.c.kind == "redeem"
            )
        )
        report = await reconcile(s, members=[m])
    assert accepted == 14  # 14 * 70 = 980 <= 1000 < 15 * 70
    assert redeemed == accepted
    assert report.ok, report.mismatches


async def test_scheduled_work_on_two_replicas_at_once_matures_each_lot_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    members = [member() for _ in range(7)]
    for m in members:
        pending = dataclasses.replace(award(m, points=5), pending_until=NOW + timedelta(days=14))
        await record(sessions, pending)
    later = NOW + timedelta(days=15)

    def factory() -> SqlAlchemyUnitOfWork:
        return uow(sessions)

    await asyncio.gather(  # (other tests' members in this database may have work due too)
        run_due_jobs(sessions, factory, POLICY, now=later, batch=2),
        run_due_jobs(sessions, factory, POLICY, now=later, batch=3),
    )
    async with sessions() as s:
        matured = await s.execute(
            select(entries.c.lot_id, func.count())
            .where(
                entries.c.account_key.in_(
                    select(balances.c.account_key).where(balances.c.member_id.in_(members))
                ),
                entries.c.kind == "mature",
            )
            .group_by(entries.c.lot_id)
        )
        report = await reconcile(s, members=members)
    assert sorted(n for _, n in matured) == [1] * 7  # each member's lot, once
    assert report.ok, report.mismatches
