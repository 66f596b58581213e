"""The ledger's part of the audit trail: changes to the rewards catalogue, and adjustments by
hand (their entries name who made them and why)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import audit, balances, entries
from services.ledger.domain.entries import EntryKind
from shared.audit import Change, read_trail

ADJUSTMENT = "adjustment"


async def trail(
    session: AsyncSession,
    *,
    kind: str | None,
    object_id: str | None,
    before: datetime | None,
    limit: int,
) -> list[Change]:
    """Newest first: catalogue changes and adjustments, merged."""
    changes = []
    if kind in (None, "reward"):
        changes = await read_trail(
            session,
            audit,
            service="ledger",
            kind=kind,
            object_id=object_id,
            before=before,
            limit=limit,
        )
    if kind in (None, ADJUSTMENT):
        changes += await _adjustments(session, object_id, before, limit)
    return sorted(changes, key=lambda c: c.at, reverse=True)[:limit]


async def _adjustments(
    session: AsyncSession, member_id: str | None, before: datetime | None, limit: int
) -> list[Change]:
    query = (
        select(
            entries.c.recorded_at,
            entries.c.actor,
            entries.c.points,
            entries.c.explanation,
            balances.c.member_id,
        )
        .join(balances, balances.c.account_key == entries.c.account_key)
        .where(entries.c.kind == EntryKind.ADJUST.value)
        .order_by(entries.c.recorded_at.desc(), entries.c.id.desc())
        .limit(limit)
    )
    if member_id:
        query = query.where(balances.c.member_id == member_id)
    if before is not None:
        query = query.where(entries.c.recorded_at < before)
    return [
        Change(
            at=r.recorded_at,
            actor=r.actor or "",
            action="adjusted",
            kind=ADJUSTMENT,
            object_id=r.member_id,
            after={"points": r.points, "reason": r.explanation},
            service="ledger",
        )
        for r in await session.execute(query)
    ]
