"""The ledger's part of the program report: the points liability, breakage, points redeemed
and expired over time, and what partners' settlements check against. Straight queries over
balances, entries and vouchers."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries, rewards, vouchers
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


async def funded_figures(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
    """What partners' settlements check against, from ``start`` to ``end`` (booking time):
    points booked per rule (earned less reversed), and points redeemed on the rewards each
    funder pays for (vouchers issued, less those cancelled)."""
    kinds = {EntryKind.EARN.value: 1, EntryKind.REVERSE.value: -1}
    rows = await session.execute(
        select(entries.c.rule_id, entries.c.kind, func.sum(entries.c.points))
        .where(
            entries.c.recorded_at >= start,
            entries.c.recorded_at < end,
            entries.c.kind.in_(list(kinds)),
            entries.c.rule_id.is_not(None),
        )
        .group_by(entries.c.rule_id, entries.c.kind)
    )
    booked: dict[str, int] = {}
    for rule_id, kind, points in rows:
        booked[rule_id] = booked.get(rule_id, 0) + kinds[kind] * int(points)
    funders = {
        reward_id: spec.get("funded_by")
        for reward_id, spec in await session.execute(select(rewards.c.reward_id, rewards.c.spec))
    }
    redeemed: dict[str, int] = {}
    spent = await session.execute(
        select(vouchers.c.reward_id, func.sum(vouchers.c.points))
        .where(
            vouchers.c.issued_at >= start,
            vouchers.c.issued_at < end,
            vouchers.c.status != "cancelled",
        )
        .group_by(vouchers.c.reward_id)
    )
    for reward_id, points in spent:
        if funder := funders.get(reward_id):
            redeemed[funder] = redeemed.get(funder, 0) + int(points)
    return {"booked_by_rule": booked, "redeemed_by_funder": redeemed}
