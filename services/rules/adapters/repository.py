"""Reads and writes of the rules service: rules, tiers, member state, purchases, budgets."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import budgets, member_states, purchases, rules, tiers
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.adapters.state_codec import (
    member_from_json,
    member_to_json,
    purchase_from_json,
    purchase_to_json,
)
from services.rules.domain.member import MemberState, celebration_days
from services.rules.domain.returns import PurchaseRecord
from shared.db import upsert
from shared.errors import RetryLater


async def rules_in_force(session: AsyncSession) -> list[tuple[RuleSpec, int]]:
    """The newest version of every rule (enabled or not), as (spec, version)."""
    newest = (
        select(rules.c.rule_id, func.max(rules.c.version).label("version"))
        .group_by(rules.c.rule_id)
        .subquery()
    )
    rows = await session.execute(
        select(rules.c.spec, rules.c.version)
        .join(newest, (rules.c.rule_id == newest.c.rule_id) & (rules.c.version == newest.c.version))
        .order_by(rules.c.rule_id)
    )
    return [(RuleSpec.model_validate(r.spec), r.version) for r in rows]


async def rule_history(session: AsyncSession, rule_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(rules).where(rules.c.rule_id == rule_id).order_by(rules.c.version)
    )
    return [
        {
            "version": r.version,
            "spec": r.spec,
            "created_at": r.created_at.isoformat(),
            "created_by": r.created_by,
        }
        for r in rows
    ]


async def save_rule(session: AsyncSession, spec: RuleSpec, *, by: str) -> int:
    """Store ``spec`` as the rule's next version; the version number."""
    current = await session.scalar(
        select(func.max(rules.c.version)).where(rules.c.rule_id == spec.id)
    )
    version = (current or 0) + 1
    await session.execute(
        insert(rules).values(
            rule_id=spec.id,
            version=version,
            spec=spec.model_dump(mode="json"),
            enabled=spec.enabled,
            created_at=datetime.now(UTC),
            created_by=by,
        )
    )
    return version


async def load_tiers(session: AsyncSession) -> list[TierSpec]:
    rows = await session.execute(select(tiers).order_by(tiers.c.min_points))
    return [TierSpec(name=r.name, min_points=r.min_points) for r in rows]


async def save_tiers(session: AsyncSession, specs: list[TierSpec]) -> None:
    """Make ``specs`` the program's tiers (an empty list leaves them as they are)."""
    if not specs:
        return
    await session.execute(delete(tiers).where(tiers.c.name.not_in([t.name for t in specs])))
    await session.execute(
        upsert(
            tiers,
            [t.model_dump() for t in specs],
            key="name",
            dialect=session.get_bind().dialect.name,
        )
    )


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def member_for_update(self, member_id: str) -> MemberState:
        row = (
            await self._session.execute(
                select(member_states)
                .where(member_states.c.member_id == member_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            return MemberState(member_id)
        return member_from_json(member_id, row.state, row.version)

    async def save_member(self, member: MemberState) -> None:
        values = {
            "state": member_to_json(member),
            "birthday_mmdd": member.birthday.strftime("%m-%d") if member.birthday else None,
            "enrolled_mmdd": member.enrolled_at.strftime("%m-%d") if member.enrolled_at else None,
            "version": member.version + 1,
            "updated_at": datetime.now(UTC),
        }
        if member.version == 0:
            await self._session.execute(
                insert(member_states).values(member_id=member.member_id, **values)
            )
        else:
            result = await self._session.execute(
                update(member_states)
                .where(
                    member_states.c.member_id == member.member_id,
                    member_states.c.version == member.version,
                )
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise RetryLater(f"member {member.member_id} changed concurrently")
        member.version += 1

    async def purchase(self, event_id: str, member_id: str) -> PurchaseRecord | None:
        row = (
            await self._session.execute(
                select(purchases).where(
                    purchases.c.event_id == event_id, purchases.c.member_id == member_id
                )
            )
        ).first()
        return None if row is None else purchase_from_json(event_id, member_id, row.record)

    async def save_purchase(self, record: PurchaseRecord, occurred_at: datetime) -> None:
        await self._session.execute(
            upsert(
                purchases,
                [
                    {
                        "event_id": record.event_id,
                        "member_id": record.member_id,
                        "record": purchase_to_json(record),
                        "occurred_at": occurred_at,
                        "currency": record.currency,
                        "paid": record.paid - record.returned,  # net of returns
                    }
                ],
                key="event_id",
                dialect=self._session.get_bind().dialect.name,
            )
        )

    async def reserve_budget(self, rule_id: str, points: int, budget: int) -> int:
        """Take up to ``points`` from the rule's budget; how many were granted. The budget row
        stays locked until commit, so replicas never overspend it together."""
        await self._session.execute(
            upsert(
                budgets,
                [{"rule_id": rule_id, "spent": 0}],
                key="rule_id",
                dialect=self._session.get_bind().dialect.name,
                update=False,
            )
        )
        spent = int(
            await self._session.scalar(
                select(budgets.c.spent).where(budgets.c.rule_id == rule_id).with_for_update()
            )
            or 0
        )
        granted = max(0, min(points, budget - spent))
        if granted:
            await self._session.execute(
                update(budgets).where(budgets.c.rule_id == rule_id).values(spent=spent + granted)
            )
        return granted

    async def refund_budget(self, rule_id: str, points: int) -> None:
        await self._session.execute(
            update(budgets)
            .where(budgets.c.rule_id == rule_id)
            .values(spent=budgets.c.spent - points)
        )


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
