"""Read models for the HTTP API: straight queries, no domain objects (CQRS-lite)."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries
from shared.pagination import decode_cursor, encode_cursor


class BalancePublic(BaseModel):
    member_id: str
    available: int
    pending: int
    lifetime_earned: int
    updated_at: datetime | None


class EntryPublic(BaseModel):
    entry_id: str
    kind: str
    status: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    recorded_at: datetime


class EntryPage(BaseModel):
    entries: list[EntryPublic]
    next_cursor: str | None


async def balance(session: AsyncSession, member_id: str) -> BalancePublic:
    row = (await session.execute(select(balances).where(balances.c.member_id == member_id))).first()
    if row is None:
        return BalancePublic(
            member_id=member_id, available=0, pending=0, lifetime_earned=0, updated_at=None
        )
    return BalancePublic.model_validate(row, from_attributes=True)


async def entry_page(
    session: AsyncSession, member_id: str, *, limit: int, cursor: str | None
) -> EntryPage:
    query = select(entries).where(entries.c.member_id == member_id)
    if cursor is not None:
        query = query.where(entries.c.id < decode_cursor(cursor))
    rows = (await session.execute(query.order_by(entries.c.id.desc()).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return EntryPage(
        entries=[EntryPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )
