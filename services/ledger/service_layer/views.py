"""Read models for the HTTP API: straight queries, no locks, no domain objects. The ledger's
part of the program report is in ``report_views``."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.balance_reader import BalanceReader
from services.ledger.adapters.orm import balances, entries, erased_members, lots, redemptions
from services.ledger.adapters.rows import unkeyed
from services.ledger.domain.entries import BalanceView
from services.ledger.domain.lots import LotStatus
from services.ledger.domain.redemptions import Redemption
from services.ledger.domain.rewards import Voucher
from shared.erasure.table import refuse_if_erased
from shared.pagination import newest_first


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


async def balance_answer(
    reader: BalanceReader, sessions: async_sessionmaker[AsyncSession], member_id: str
) -> dict[str, Any]:
    """The balance as ``GET /v1/members/{id}/balance`` answers it, for the route and its fast
    path alike: the prepared read, else (SQLite, an unknown member: zeros, an erased one:
    MemberWasErased) the view."""
    found = await reader.balance(member_id)
    if found is not None:
        return found
    async with sessions() as session:
        return (await balance(session, member_id)).model_dump(mode="json")


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
