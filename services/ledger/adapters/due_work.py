"""Which members have work due: pending lots to mature, lots to expire, holds to release."""

from datetime import datetime, timedelta

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import lots, redemptions
from services.ledger.domain.lots import LotStatus
from services.ledger.domain.redemptions import RedemptionStatus


async def members_with_due_work(
    session: AsyncSession, now: datetime, *, after: str, limit: int
) -> list[str]:
    """Up to ``limit`` members with work due at ``now``, in id order, after ``after``."""
    due = union(
        select(lots.c.member_id).where(
            lots.c.status == LotStatus.PENDING.value, lots.c.matures_at <= now
        ),
        select(lots.c.member_id).where(
            lots.c.status == LotStatus.AVAILABLE.value,
            lots.c.remaining > 0,
            lots.c.expires_at <= now,
        ),
        select(redemptions.c.member_id).where(
            redemptions.c.status == RedemptionStatus.HELD.value,
            redemptions.c.hold_expires_at <= now,
        ),
    ).subquery()
    rows = await session.scalars(
        select(due.c.member_id)
        .where(due.c.member_id > after)
        .order_by(due.c.member_id)
        .limit(limit)
    )
    return list(rows)


async def members_to_remind(
    session: AsyncSession, now: datetime, within: timedelta, *, limit: int
) -> list[str]:
    """Members with available points expiring within ``within`` they were not told about."""
    rows = await session.scalars(
        select(lots.c.member_id)
        .where(
            lots.c.status == LotStatus.AVAILABLE.value,
            lots.c.remaining > 0,
            lots.c.reminded_at.is_(None),
            lots.c.expires_at > now,
            lots.c.expires_at <= now + within,
        )
        .distinct()
        .order_by(lots.c.member_id)
        .limit(limit)
    )
    return list(rows)
