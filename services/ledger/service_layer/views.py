"""Read models for the HTTP API: straight queries, no locks, no domain objects; and the
ledger's part of the program report (the points liability and breakage)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries, erased_members, lots, redemptions
from services.ledger.adapters.rows import unkeyed
from services.ledger.domain.entries import BalanceView, EntryKind
from services.ledger.domain.lots import LotStatus
from services.ledger.domain.redemptions import Redemption
from services.ledger.rewards.domain import Voucher
from shared.erasure.table import refuse_if_erased
from shared.pagination import newest_first
from shared.periods import Bucket, as_day, bucket_of, buckets


class BalancePublic(BaseModel):
    member_id: str
    available: int
    pending: int
    held: int
    lifetime_earned: int
    lifetime_redeemed: int
    updated_at: datetime | None


class EntryPublic(BaseModel):
    entry_id: str
    operation_id: str
    kind: str
    points: int
    debit_account: str
    credit_account: str
    available_after: int
    pending_after: int
    held_after: int
    rule_id: str | None
    rule_version: int | None
    explanation: str
    source_event_id: str | None
    recorded_at: datetime


class EntryPage(BaseModel):
    entries: list[EntryPublic]
    next_cursor: str | None


class VoucherPublic(BaseModel):
    code: str
    reward_id: str
    status: str
    points: int
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None


class RedemptionPublic(BaseModel):
    redemption_id: str
    member_id: str
    points: int
    status: str
    description: str
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    balance: BalancePublic | None = None
    voucher: VoucherPublic | None = None


async def balance(session: AsyncSession, member_id: str) -> BalancePublic:
    row = (await session.execute(select(balances).where(balances.c.member_id == member_id))).first()
    if row is None:
        await refuse_if_erased(session, erased_members, member_id)
        return no_balance(member_id)
    return BalancePublic.model_validate(row, from_attributes=True)


def no_balance(member_id: str) -> BalancePublic:
    """The balance of a member the ledger has no points for."""
    return BalancePublic(
        member_id=member_id,
        available=0,
        pending=0,
        held=0,
        lifetime_earned=0,
        lifetime_redeemed=0,
        updated_at=None,
    )


async def entry_page(
    session: AsyncSession,
    member_id: str,
    *,
    limit: int,
    cursor: str | None,
    language: str | None = None,
) -> EntryPage:
    """The member's entries, found by their account key and shown with their id; with a
    language, the ledger's own explanations (a reward, a refund) in it."""
    key = await session.scalar(
        select(balances.c.account_key).where(balances.c.member_id == member_id)
    )
    if key is None:
        await refuse_if_erased(session, erased_members, member_id)
        return EntryPage(entries=[], next_cursor=None)
    rows, next_cursor = await newest_first(
        session, entries, where=entries.c.account_key == key, limit=limit, cursor=cursor
    )
    found = [EntryPublic.model_validate(r, from_attributes=True) for r in rows]
    for entry, row in zip(found, rows, strict=True):
        if language and (translated := (row.explanations or {}).get(language)):
            entry.explanation = translated
        entry.debit_account = unkeyed(entry.debit_account, key, member_id)
        entry.credit_account = unkeyed(entry.credit_account, key, member_id)
    return EntryPage(entries=found, next_cursor=next_cursor)


async def redemption(
    session: AsyncSession, member_id: str, redemption_id: str
) -> RedemptionPublic | None:
    row = (
        await session.execute(
            select(redemptions).where(
                redemptions.c.member_id == member_id,
                redemptions.c.redemption_id == redemption_id,
            )
        )
    ).first()
    return None if row is None else RedemptionPublic.model_validate(row, from_attributes=True)


def redemption_public(r: Redemption, view: BalanceView) -> RedemptionPublic:
    return RedemptionPublic(
        redemption_id=r.redemption_id,
        member_id=r.member_id,
        points=r.points,
        status=r.status.value,
        description=r.description,
        hold_expires_at=r.hold_expires_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
        balance=BalancePublic(
            member_id=r.member_id,
            available=view.available,
            pending=view.pending,
            held=view.held,
            lifetime_earned=view.lifetime_earned,
            lifetime_redeemed=view.lifetime_redeemed,
            updated_at=r.updated_at,
        ),
    )


def voucher_public(v: Voucher) -> VoucherPublic:
    return VoucherPublic(
        code=v.code,
        reward_id=v.reward_id,
        status=v.status.value,
        points=v.points,
        issued_at=v.issued_at,
        expires_at=v.expires_at,
        used_at=v.used_at,
    )


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


class PointsOnDay(BaseModel):
    points: int
    on: date


class PointsAhead(BaseModel):
    """What will happen to a member's points: the next to expire, and those on the way."""

    expiring: PointsOnDay | None
    maturing: list[PointsOnDay]


async def points_ahead(session: AsyncSession, member_id: str) -> PointsAhead:
    """The earliest day available points expire (and how many then), and the next days pending
    points become available: from the member's open lots, by UTC day."""
    rows = await session.execute(
        select(lots.c.status, lots.c.remaining, lots.c.expires_at, lots.c.matures_at).where(
            lots.c.member_id == member_id,
            lots.c.remaining > 0,
            lots.c.status.in_([LotStatus.AVAILABLE.value, LotStatus.PENDING.value]),
        )
    )
    expiring: dict[date, int] = {}
    maturing: dict[date, int] = {}
    for status, remaining, expires_at, matures_at in rows:
        if status == LotStatus.AVAILABLE.value and expires_at is not None:
            day = expires_at.date()
            expiring[day] = expiring.get(day, 0) + int(remaining)
        elif status == LotStatus.PENDING.value and matures_at is not None:
            day = matures_at.date()
            maturing[day] = maturing.get(day, 0) + int(remaining)
    first = min(expiring, default=None)
    return PointsAhead(
        expiring=None if first is None else PointsOnDay(points=expiring[first], on=first),
        maturing=[PointsOnDay(points=maturing[d], on=d) for d in sorted(maturing)[:3]],
    )
