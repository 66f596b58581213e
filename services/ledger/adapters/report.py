"""The ledger's part of the program report: the points liability and breakage."""

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries
from services.ledger.domain.entries import EntryKind


async def points_figures(session: AsyncSession) -> dict[str, Any]:
    """Outstanding points (what members may still spend: available, pending and held; a
    member's negative available is a debt, not a negative liability), and lifetime flows."""
    b = balances.c
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((b.available > 0, b.available), else_=0)), 0),
                func.coalesce(func.sum(b.pending), 0),
                func.coalesce(func.sum(b.held), 0),
                func.coalesce(func.sum(b.lifetime_earned), 0),
                func.coalesce(func.sum(b.lifetime_redeemed), 0),
            )
        )
    ).one()
    members, available, pending, held, earned, redeemed = (int(v) for v in row)
    expired = int(
        await session.scalar(
            select(func.coalesce(func.sum(entries.c.points), 0)).where(
                entries.c.kind == EntryKind.EXPIRE.value
            )
        )
        or 0
    )
    return {
        "members_with_points": members,
        "available": available,
        "pending": pending,
        "held": held,
        "outstanding": available + pending + held,
        "lifetime_earned": earned,
        "lifetime_redeemed": redeemed,
        "lifetime_expired": expired,
        "breakage_rate": expired / earned if earned else 0.0,
    }
