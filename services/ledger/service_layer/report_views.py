"""The ledger's part of the program report: the points liability, breakage, and points
redeemed and expired over time. Straight queries over balances and entries."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries
from services.ledger.domain.entries import EntryKind
from shared.periods import Bucket, as_day, bucket_of, buckets


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


_SPENT = {EntryKind.REDEEM: 1, EntryKind.CAPTURE: 1, EntryKind.REFUND: -1}


async def points_series(
    session: AsyncSession, *, start: datetime, end: datetime, bucket: Bucket
) -> list[dict[str, Any]]:
    """Per day or week: points redeemed (net of refunds) and points expired."""
    day = func.date(entries.c.recorded_at)
    rows = await session.execute(
        select(day, entries.c.kind, func.sum(entries.c.points))
        .where(
            entries.c.recorded_at.between(start, end),
            entries.c.kind.in_([k.value for k in (*_SPENT, EntryKind.EXPIRE)]),
        )
        .group_by(day, entries.c.kind)
    )
    found: dict[date, dict[str, int]] = {}
    for when, kind, points in rows:
        figures = found.setdefault(bucket_of(as_day(when), bucket), {"redeemed": 0, "expired": 0})
        if kind == EntryKind.EXPIRE.value:
            figures["expired"] += int(points)
        else:
            figures["redeemed"] += _SPENT[EntryKind(kind)] * int(points)
    return [
        {
            "from": first.isoformat(),
            "redeemed_points": found.get(first, {}).get("redeemed", 0),
            "expired_points": found.get(first, {}).get("expired", 0),
        }
        for first in buckets(start, end, bucket)
    ]
