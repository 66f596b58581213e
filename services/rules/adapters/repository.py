"""Reads and writes of the rules service: rules, tiers, member state, purchases, budgets."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import (
    budgets,
    member_states,
    processed_events,
    purchases,
    rules,
    tiers,
)
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.adapters.state_codec import (
    member_from_json,
    member_to_json,
    purchase_from_json,
    purchase_to_json,
)
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.returns import PurchaseRecord
from shared.bulk import insert_rows, locked_or_seeded, update_rows
from shared.db import one_of


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
    await insert_rows(
        session, tiers, [t.model_dump() for t in specs], on_conflict="update", key=["name"]
    )


class MemberRepository:
    """Member states, purchases, processed ids and budgets, a chunk of events at a time."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    async def claim(self, events: Sequence[LoyaltyEvent], now: datetime) -> set[str]:
        """Record the events as processed (it holds once the transaction commits); the ids
        of those processed before. One statement: the unique key finds the repeats, in id
        order so that two replicas claiming overlapping chunks wait, never deadlock."""
        first = {e.event_id: e for e in reversed(events)}  # the first of each id
        rows = [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "member_id": e.member_id,
                "occurred_at": e.occurred_at,
                "processed_at": now,
            }
            for _, e in sorted(first.items())
        ]
        new = await insert_rows(
            self.session,
            processed_events,
            rows,
            on_conflict="nothing",
            key=["event_id"],
            returning="event_id",
        )
        return set(first) - set(new)

    async def release(self, event_ids: Collection[str]) -> None:
        """Forget claims of events this chunk refused: a replay of them is handled anew."""
        if event_ids:
            await self.session.execute(
                delete(processed_events).where(
                    one_of(processed_events.c.event_id, event_ids, self._dialect)
                )
            )

    async def members_for_update(self, member_ids: Collection[str]) -> dict[str, MemberState]:
        """All locked in member-id order, so two replicas that share members (during a
        rebalance) queue instead of deadlocking; new members' rows seeded."""
        now = datetime.now(UTC)
        return await locked_or_seeded(
            self.session,
            member_states,
            list(member_ids),
            self._locked,
            lambda missing: [
                {"member_id": m, "state": _EMPTY_STATE, "version": 0, "updated_at": now}
                for m in missing
            ],
        )

    async def _locked(self, ordered: list[str]) -> dict[str, MemberState]:
        rows = await self.session.execute(
            select(member_states.c.member_id, member_states.c.state, member_states.c.version)
            .where(one_of(member_states.c.member_id, ordered, self._dialect))
            .order_by(member_states.c.member_id)
            .with_for_update()
        )
        return {r.member_id: member_from_json(r.member_id, r.state, r.version) for r in rows}

    async def member(self, member_id: str) -> MemberState:
        row = (
            await self.session.execute(
                select(member_states.c.state, member_states.c.version).where(
                    member_states.c.member_id == member_id
                )
            )
        ).first()
        return MemberState(member_id) if row is None else member_from_json(member_id, *row)

    async def save_members(self, members: list[MemberState]) -> None:
        """Write back states locked by :meth:`members_for_update`."""
        if not members:
            return
        now = datetime.now(UTC)
        await update_rows(
            self.session,
            member_states,
            [
                {
                    "member_id": m.member_id,
                    "state": member_to_json(m),
                    "birthday_mmdd": m.birthday.strftime("%m-%d") if m.birthday else None,
                    "enrolled_mmdd": m.enrolled_at.strftime("%m-%d") if m.enrolled_at else None,
                    "version": m.version + 1,
                    "updated_at": now,
                }
                for m in members
            ],
            key="member_id",
        )
        for m in members:
            m.version += 1

    async def purchases(self, event_ids: Collection[str]) -> dict[str, PurchaseRecord]:
        if not event_ids:
            return {}
        rows = await self.session.execute(
            select(purchases.c.event_id, purchases.c.member_id, purchases.c.record).where(
                one_of(purchases.c.event_id, event_ids, self._dialect)
            )
        )
        return {r.event_id: purchase_from_json(r.event_id, r.member_id, r.record) for r in rows}

    async def save_purchases(self, records: list[tuple[PurchaseRecord, datetime]]) -> None:
        if not records:
            return
        await insert_rows(
            self.session,
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
                for record, occurred_at in records
            ],
            on_conflict="update",
            key=["event_id"],
        )

    async def budgets_for_update(self, rule_ids: Sequence[str]) -> dict[str, int]:
        """Points each rule has spent; the rows stay locked until commit, so replicas never
        overspend a budget together."""
        await insert_rows(
            self.session,
            budgets,
            [{"rule_id": r, "spent": 0} for r in sorted(rule_ids)],
            on_conflict="nothing",
            key=["rule_id"],
        )
        rows = await self.session.execute(
            select(budgets.c.rule_id, budgets.c.spent)
            .where(budgets.c.rule_id.in_(sorted(rule_ids)))
            .order_by(budgets.c.rule_id)
            .with_for_update()
        )
        return {r.rule_id: int(r.spent) for r in rows}


_EMPTY_STATE = member_to_json(MemberState(""))
