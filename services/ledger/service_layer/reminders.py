"""Telling members, before it happens, that points will expire (a reminder, not an entry)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.due_work import members_to_remind
from services.ledger.adapters.ledger_events import SOURCE
from services.ledger.service_layer.handlers import with_retries
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import derived_id, new_event
from shared.contracts.ledger import POINTS_EXPIRING, PointsExpiring


async def remind_member(
    member_id: str, *, uow: UnitOfWork, now: datetime, within: timedelta
) -> bool:
    """One reminder for all the member's points expiring within ``within``; each lot once."""
    async with uow:
        account = await uow.accounts.load(member_id)
        due = account.lots_to_remind(now, within)
        if not due:
            return False
        for lot in due:
            lot.reminded_at = now
        account.touch(lot.lot_id for lot in due)
        earliest = min(lot.expires_at for lot in due if lot.expires_at is not None)
        payload = PointsExpiring(
            member_id=member_id,
            points=sum(lot.remaining for lot in due),
            expires_at=earliest,
            available=account.available,
        )
        await uow.save(account)
        await uow.publish(
            new_event(
                id=derived_id(member_id, POINTS_EXPIRING, *sorted(lot.lot_id for lot in due)),
                source=SOURCE,
                type=POINTS_EXPIRING,
                subject=member_id,
                data=payload.model_dump(mode="json"),
                time=now,
            )
        )
        await uow.commit()
    return True


async def remind_expiring(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], UnitOfWork],
    *,
    days: int,
    now: datetime | None = None,
) -> int:
    """Remind every member whose points expire within ``days``; how many were reminded."""
    if days <= 0:
        return 0
    now, within, reminded = now or datetime.now(UTC), timedelta(days=days), 0
    async with sessions() as session:
        members = await members_to_remind(session, now, within, limit=5000)
    for member_id in members:

        async def step(member_id: str = member_id) -> bool:
            return await remind_member(member_id, uow=uow_factory(), now=now, within=within)

        reminded += await with_retries(step)
    return reminded
