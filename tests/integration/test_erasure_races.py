"""An erasure racing the writes about the same member, two transactions on real PostgreSQL:
what is written after the erasure's check must not outlive the erasure (found by the chaos
run, seed 11: erased members named in the notifications' inbox), and the two never deadlock."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.ledger.adapters.orm import balances
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork as LedgerUnitOfWork
from services.notifications.adapters.orm import inbox
from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.notices import Category, Channel, Notice
from services.notifications.service_layer.handlers import notify_members
from services.notifications.service_layer.setup import load_default_templates_if_empty
from services.notifications.service_layer.unit_of_work import (
    SqlAlchemyUnitOfWork as NotificationsUnitOfWork,
)
from tests.conftest import Databases
from tests.polling import eventually

pytestmark = pytest.mark.integration


async def _sessions(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


@pytest.fixture
async def notifications(databases: Databases) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async for sessions in _sessions(await databases.migrated("notifications")):
        await load_default_templates_if_empty(sessions)
        yield sessions


@pytest.fixture
async def ledger(databases: Databases) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async for sessions in _sessions(await databases.migrated("ledger")):
        yield sessions


async def _waiting_for_a_lock(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        found = await session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        return int(found or 0)


async def _blocked_or_done(
    sessions: async_sessionmaker[AsyncSession], task: "asyncio.Task[Any]", what: str
) -> None:
    """Until the task waits on a lock, or (the race lost) has finished."""

    async def state() -> bool:
        return task.done() or await _waiting_for_a_lock(sessions) > 0

    await eventually(state, lambda ready: ready, what=what)


async def test_a_notice_checked_while_the_member_is_being_erased_leaves_no_message(
    notifications: async_sessionmaker[AsyncSession],
) -> None:
    member, other = (f"m-{uuid.uuid4().hex[:8]}" for _ in range(2))
    notices = [
        NotifyMember(
            Notice(
                cause_id=f"e-{uuid.uuid4().hex}",
                member_id=m,
                kind="birthday",
                category=Category.BIRTHDAY,
                occurred_at=datetime.now(UTC),
                values={"points": 100, "available": 100},
            )
        )
        for m in (member, other)
    ]
    erasure = NotificationsUnitOfWork(notifications)
    async with erasure:
        assert await erasure.erase(member, f"x-{member}", datetime.now(UTC))
        notifying = asyncio.create_task(
            notify_members(notices, uow=NotificationsUnitOfWork(notifications))
        )
        await _blocked_or_done(notifications, notifying, "the notice waiting for the erasure")
        await erasure.commit()
    # The erased member told nothing, the other member told in their inbox.
    assert await notifying == [[], [Channel.INBOX]]
    async with notifications() as session:
        left = await session.scalar(
            select(func.count()).select_from(inbox).where(inbox.c.member_id == member)
        )
    assert left == 0, "an inbox message names the erased member"


async def test_an_erasure_and_a_chunk_holding_the_members_row_queue_up_and_never_deadlock(
    ledger: async_sessionmaker[AsyncSession],
) -> None:
    """The chunk locks the member's balance row, then checks for erasures (saving a tier);
    the erasure, under way meanwhile, waits for the row and runs after the chunk."""
    member = f"m-{uuid.uuid4().hex[:8]}"
    chunk = LedgerUnitOfWork(ledger, "ledger")
    async with chunk:
        await chunk.accounts.balances_for_update([member])
        await chunk.commit()  # the member has an account
    async with chunk:
        assert member in await chunk.accounts.balances_for_update([member])
        erasing = asyncio.create_task(_erase(LedgerUnitOfWork(ledger, "ledger"), member))
        await _blocked_or_done(ledger, erasing, "the erasure waiting for the chunk")
        await asyncio.wait_for(chunk.members.save_tiers({member: ("gold", datetime.now(UTC))}), 5)
        await chunk.commit()
    assert await asyncio.wait_for(erasing, 10)
    async with ledger() as session:
        named = await session.scalar(
            select(func.count()).select_from(balances).where(balances.c.member_id == member)
        )
    assert named == 0, "the erased member's balance row still names them"


async def _erase(uow: LedgerUnitOfWork, member: str) -> bool:
    async with uow:
        erased = await uow.erase(member, f"x-{member}", datetime.now(UTC))
        await uow.commit()
    return erased
