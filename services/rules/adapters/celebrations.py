"""Whose birthday and membership anniversary it is today, where each member lives."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import member_states
from services.rules.domain.member import celebration_days


async def members_celebrating(
    session: AsyncSession, now: datetime
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``(member, year)`` of members whose birthday, and of those whose membership anniversary,
    it is today where they live (their timezone; UTC when unknown)."""
    utc_day = now.date()
    nearby = {d for offset in (-1, 0, 1) for d in celebration_days(utc_day + timedelta(offset))}
    rows = await session.execute(
        select(
            member_states.c.member_id,
            member_states.c.state,
            member_states.c.birthday_mmdd,
            member_states.c.enrolled_mmdd,
        ).where(
            or_(
                member_states.c.birthday_mmdd.in_(nearby), member_states.c.enrolled_mmdd.in_(nearby)
            )
        )
    )
    birthdays, anniversaries = [], []
    for row in rows:
        local = now.astimezone(_zone(row.state.get("timezone"))).date()
        today = celebration_days(local)
        if row.birthday_mmdd in today:
            birthdays.append((row.member_id, local.year))
        enrolled = row.state.get("enrolled_at") or ""
        if row.enrolled_mmdd in today and not enrolled.startswith(str(local.year)):
            anniversaries.append((row.member_id, local.year))
    return birthdays, anniversaries


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
