"""Rules with their versions (each may be scheduled to take effect later), their drafts, the
tiers, and the audit trail every change to them writes in its own transaction."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import audit, drafts, rules, tiers
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from shared.audit import record_change
from shared.bulk import insert_rows
from shared.contracts.names import STORED

RULE = "rule"


def _in_force(now: datetime) -> Any:
    return or_(rules.c.effective_at.is_(None), rules.c.effective_at <= now)


class RulesRepository:
    """Rules are never changed in place: each save is the rule's next version, in force from
    its ``effective_at`` (none: at once) until a higher version is."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rules_in_force(self, now: datetime | None = None) -> list[tuple[RuleSpec, int]]:
        """The newest version in effect of every rule (enabled or not), as (spec, version)."""
        when = now or datetime.now(UTC)
        newest = (
            select(rules.c.rule_id, func.max(rules.c.version).label("version"))
            .where(_in_force(when))
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

    async def scheduled(self, now: datetime | None = None) -> dict[str, tuple[int, datetime]]:
        """Per rule, its newest version still waiting for its time: (version, effective_at)."""
        when = now or datetime.now(UTC)
        rows = await self.session.execute(
            select(rules.c.rule_id, rules.c.version, rules.c.effective_at)
            .where(rules.c.effective_at > when)
            .order_by(rules.c.rule_id, rules.c.version)
        )
        return {r.rule_id: (r.version, r.effective_at) for r in rows}

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
                "effective_at": (r.effective_at or r.created_at).isoformat(),
            }
            for r in rows
        ]

    async def save_rule(
        self, spec: RuleSpec, *, by: str, effective_at: datetime | None = None
    ) -> int:
        """Store ``spec`` as the rule's next version, in effect from ``effective_at`` (none:
        now); the version number. The same spec as the newest version, in effect already,
        is that version again: nothing is written."""
        now = datetime.now(UTC)
        document = spec.model_dump(mode="json")
        last = (
            await self.session.execute(
                select(rules.c.version, rules.c.spec, rules.c.effective_at)
                .where(rules.c.rule_id == spec.id)
                .order_by(rules.c.version.desc())
                .limit(1)
            )
        ).first()
        later = effective_at is not None and effective_at > now
        live = last is not None and (last.effective_at is None or last.effective_at <= now)
        if last is not None and live and last.spec == document and not later:
            return int(last.version)
        version = (last.version if last else 0) + 1
        await self.session.execute(
            insert(rules).values(
                rule_id=spec.id,
                version=version,
                spec=document,
                enabled=spec.enabled,
                created_at=now,
                created_by=by,
                effective_at=effective_at if later else None,
            )
        )
        previous = await self.rule_in_force(spec.id, now, below=version)
        before = previous[0] if previous else None
        await record_change(
            self.session,
            audit,
            actor=by,
            action="scheduled" if later else "published",
            kind=RULE,
            object_id=spec.id,
            version=version,
            effective_at=effective_at if later else None,
            before=before,
            after=document,
            at=now,
        )
        return version

    async def rule_in_force(
        self, rule_id: str, now: datetime | None = None, *, below: int | None = None
    ) -> tuple[dict[str, Any], int] | None:
        """One rule's version in force (below ``below``, when given), as stored, with its
        number: one query, where :meth:`rules_in_force` reads every rule."""
        found = and_(rules.c.rule_id == rule_id, _in_force(now or datetime.now(UTC)))
        if below is not None:
            found = and_(found, rules.c.version < below)
        row = (
            await self.session.execute(
                select(rules.c.spec, rules.c.version)
                .where(found)
                .order_by(rules.c.version.desc())
                .limit(1)
            )
        ).first()
        return (row.spec, int(row.version)) if row else None

    # -- drafts: one per rule, not in force ---------------------------------------------
    async def draft(self, rule_id: str) -> dict[str, Any] | None:
        row = (
            await self.session.execute(
                select(drafts).where((drafts.c.kind == RULE) & (drafts.c.object_id == rule_id))
            )
        ).first()
        if row is None:
            return None
        return {
            "spec": row.spec,
            "base_version": row.base_version,
            "saved_at": row.saved_at.isoformat(),
            "saved_by": row.saved_by,
        }

    async def drafts(self) -> dict[str, dict[str, Any]]:
        rows = await self.session.execute(select(drafts).where(drafts.c.kind == RULE))
        return {
            r.object_id: {"saved_at": r.saved_at.isoformat(), "saved_by": r.saved_by} for r in rows
        }

    async def save_draft(self, spec: RuleSpec, base_version: int | None, *, by: str) -> None:
        await insert_rows(
            self.session,
            drafts,
            [
                {
                    "kind": RULE,
                    "object_id": spec.id,
                    "spec": spec.model_dump(mode="json"),
                    "base_version": base_version,
                    "saved_at": datetime.now(UTC),
                    "saved_by": by,
                }
            ],
            on_conflict="update",
            key=["kind", "object_id"],
        )

    async def drop_draft(self, rule_id: str) -> bool:
        gone = await self.session.execute(
            delete(drafts).where((drafts.c.kind == RULE) & (drafts.c.object_id == rule_id))
        )
        return bool(getattr(gone, "rowcount", 0))

    # -- tiers ------------------------------------------------------------------------------
    async def load_tiers(self) -> list[TierSpec]:
        rows = await self.session.execute(select(tiers).order_by(tiers.c.min_points))
        return [
            TierSpec.model_validate(
                {"name": r.name, "min_points": r.min_points, "names": r.names or {}},
                context=STORED,
            )
            for r in rows
        ]

    async def save_tiers(self, specs: list[TierSpec], *, by: str) -> None:
        """Make ``specs`` the program's tiers (an empty list leaves them as they are)."""
        if not specs:
            return
        before = [t.model_dump() for t in await self.load_tiers()]
        after = sorted((t.model_dump() for t in specs), key=lambda t: t["min_points"])
        if before == after:
            return
        await self.session.execute(
            delete(tiers).where(tiers.c.name.not_in([t.name for t in specs]))
        )
        await insert_rows(
            self.session, tiers, [t.model_dump() for t in specs], on_conflict="update", key=["name"]
        )
        await self.record(by, "replaced", "tiers", "tiers", before=before, after=after)

    async def record(
        self,
        by: str,
        action: str,
        kind: str,
        object_id: str,
        *,
        before: Any = None,
        after: Any = None,
        version: int | None = None,
    ) -> None:
        await record_change(
            self.session,
            audit,
            actor=by,
            action=action,
            kind=kind,
            object_id=object_id,
            before=before,
            after=after,
            version=version,
        )
