"""The members as a manager lists them: by balance, points earned or last change, a page at a
time, narrowed by the start of their id. (Members who asked to be forgotten are not listed.)"""

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances

Sort = Literal["member_id", "available", "pending", "lifetime_earned", "updated_at"]


class MemberRow(BaseModel):
    member_id: str
    available: int
    pending: int
    lifetime_earned: int
    lifetime_redeemed: int
    updated_at: str


class MemberList(BaseModel):
    total: int
    members: list[MemberRow]


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def member_list(
    session: AsyncSession,
    *,
    sort: Sort,
    descending: bool,
    prefix: str,
    limit: int,
    offset: int,
) -> MemberList:
    kept: Any = balances.c.member_id != balances.c.account_key  # (an erased member's is)
    if prefix:
        kept = kept & balances.c.member_id.like(_like(prefix), escape="\\")
    column = balances.c[sort]
    order = [column.desc() if descending else column.asc(), balances.c.member_id.asc()]
    total = await session.scalar(select(func.count()).select_from(balances).where(kept))
    rows = await session.execute(
        select(balances).where(kept).order_by(*order).limit(limit).offset(offset)
    )
    return MemberList(
        total=int(total or 0),
        members=[
            MemberRow(
                member_id=r.member_id,
                available=r.available,
                pending=r.pending,
                lifetime_earned=r.lifetime_earned,
                lifetime_redeemed=r.lifetime_redeemed,
                updated_at=r.updated_at.isoformat(),
            )
            for r in rows
        ],
    )
