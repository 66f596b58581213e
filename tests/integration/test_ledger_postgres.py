"""The ledger's unit of work against real PostgreSQL."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.orm import balances, entries, outbox
from services.ledger.domain.commands import RecordAward
from services.ledger.service_layer.handlers import record_award
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.db import create_engine, session_factory
from shared.errors import RetryLater
from tests.conftest import Databases

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
async def sessions(databases: Databases) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await databases.migrated("ledger"))
    yield session_factory(engine)
    await engine.dispose()


def award(member_id: str, award_id: str | None = None, points: int = 10) -> RecordAward:
    return RecordAward(
        award_id=award_id or uuid.uuid4().hex,
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


async def member_rows(
    sessions: async_sessionmaker[AsyncSession], member_id: str
) -> tuple[int, int, int]:
    async with sessions() as s:
        count = await s.scalar(select(func.count()).where(entries.c.member_id == member_id))
        total = await s.scalar(
            select(func.coalesce(func.sum(entries.c.points), 0)).where(
                entries.c.member_id == member_id
            )
        )
        available = await s.scalar(
            select(balances.c.available).where(balances.c.member_id == member_id)
        )
    return int(count or 0), int(total or 0), int(available or 0)


async def test_the_same_award_twice_is_one_entry_one_event_and_one_credit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    member = f"m-{uuid.uuid4().hex[:8]}"
    the_award = award(member, points=120)
    await record_award(the_award, uow=uow(sessions), now=NOW)
    await record_award(the_award, uow=uow(sessions), now=NOW)
    assert await member_rows(sessions, member) == (1, 120, 120)
    async with sessions() as s:
        queued = await s.scalar(select(func.count()).where(outbox.c.key == member))
    assert queued == 1


async def test_entries_cannot_be_updated_or_deleted_even_with_raw_sql(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    member = f"m-{uuid.uuid4().hex[:8]}"
    await record_award(award(member), uow=uow(sessions), now=NOW)
    for statement in (
        "UPDATE entries SET points = 1000000 WHERE member_id = :m",
        "DELETE FROM entries WHERE member_id = :m",
    ):
        async with sessions() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement), {"m": member})
    assert await member_rows(sessions, member) == (1, 10, 10)


async def test_concurrent_awards_for_one_member_all_land_and_the_balance_is_their_sum(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    member = f"m-{uuid.uuid4().hex[:8]}"

    async def record_with_retry(a: RecordAward) -> None:
        while True:
            try:
                await record_award(a, uow=uow(sessions), now=NOW)
                return
            except RetryLater:
                await asyncio.sleep(0.01)

    awards = [award(member, points=p) for p in range(1, 21)]
    await asyncio.gather(*(record_with_retry(a) for a in awards))
    assert await member_rows(sessions, member) == (20, 210, 210)
