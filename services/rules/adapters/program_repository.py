"""The program's store: rule specs with their versions, and the tiers."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import rules, tiers
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from shared.bulk import insert_rows
from shared.contracts.names import STORED


class ProgramRepository:
    """Rules are never changed in place: each save is the rule's next version."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rules_in_force(self) -> list[tuple[RuleSpec, int]]:
        """The newest version of every rule (enabled or not), as (spec, version)."""
        newest = (
            select(rules.c.rule_id, func.max(rules.c.version).label("version"))
            .group_by(rules.c.rule_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(rules.c.spec, rules.c.version)
            .join(
                newest,
                (rules.c.rule_id == newest.c.rule_id) & (rules.c.version == newest.c.version),
            )
            .order_by(rules.c.rule_id)
        )
        return [(RuleSpec.model_validate(r.spec, context=STORED), r.version) for r in rows]

    async def rule_history(self, rule_id: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
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

    async def save_rule(self, spec: RuleSpec, *, by: str) -> int:
        """Store ``spec`` as the rule's next version; the version number."""
        current = await self.session.scalar(
            select(func.max(rules.c.version)).where(rules.c.rule_id == spec.id)
        )
        version = (current or 0) + 1
        await self.session.execute(
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

    async def load_tiers(self) -> list[TierSpec]:
        rows = await self.session.execute(select(tiers).order_by(tiers.c.min_points))
        return [
            TierSpec.model_validate({"name": r.name, "min_points": r.min_points}, context=STORED)
            for r in rows
        ]

    async def save_tiers(self, specs: list[TierSpec]) -> None:
        """Make ``specs`` the program's tiers (an empty list leaves them as they are)."""
        if not specs:
            return
        await self.session.execute(
            delete(tiers).where(tiers.c.name.not_in([t.name for t in specs]))
        )
        await insert_rows(
            self.session, tiers, [t.model_dump() for t in specs], on_conflict="update", key=["name"]
        )
