"""The program's store: rules and tiers, audiences, offers, challenges, partners and the
ladder, each versioned; the RFM boundaries."""

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, insert, select

from services.rules.adapters.challenge_specs import ChallengeSpec, LadderSpec, PartnerSpec
from services.rules.adapters.offer_specs import AudienceSpec, OfferSpec
from services.rules.adapters.orm import (
    audiences,
    challenges,
    ladders,
    offers,
    partners,
    rfm_cutpoints,
)
from services.rules.adapters.rules_repository import RulesRepository
from services.rules.domain.rfm import Cutpoints
from shared.bulk import insert_rows
from shared.contracts.names import STORED

S = TypeVar("S", bound=BaseModel)
Versioned = AudienceSpec | OfferSpec | ChallengeSpec | PartnerSpec | LadderSpec
# Each kind of versioned document: its table and key column.
_TABLES: dict[str, tuple[Any, str]] = {
    "audience": (audiences, "audience_id"),
    "offer": (offers, "offer_id"),
    "challenge": (challenges, "challenge_id"),
    "partner": (partners, "partner_id"),
    "ladder": (ladders, "ladder_id"),
}
_KINDS: dict[type, str] = {
    AudienceSpec: "audience",
    OfferSpec: "offer",
    ChallengeSpec: "challenge",
    PartnerSpec: "partner",
    LadderSpec: "ladder",
}
LADDER_ID = "default"  # the program's one ladder


class ProgramRepository(RulesRepository):
    """The program's documents: rules and tiers (:class:`RulesRepository`), audiences,
    offers, challenges, partners and the ladder, each save its next version."""

    # -- audiences and offers: versioned like rules ---------------------------------------
    async def audiences_in_force(self) -> list[tuple[AudienceSpec, int]]:
        return await self._newest(audiences, "audience_id", AudienceSpec)

    async def offers_in_force(self) -> list[tuple[OfferSpec, int]]:
        return await self._newest(offers, "offer_id", OfferSpec)

    async def challenges_in_force(self) -> list[tuple[ChallengeSpec, int]]:
        return await self._newest(challenges, "challenge_id", ChallengeSpec)

    async def partners_in_force(self) -> list[tuple[PartnerSpec, int]]:
        return await self._newest(partners, "partner_id", PartnerSpec)

    async def ladder(self) -> tuple[LadderSpec, int] | None:
        """The ladder saved last (None: the program runs the shipped default)."""
        found = await self._newest(ladders, "ladder_id", LadderSpec)
        return found[0] if found else None

    async def _newest(self, table: Any, key: str, spec: type[S]) -> list[tuple[S, int]]:
        newest = (
            select(table.c[key], func.max(table.c.version).label("version"))
            .group_by(table.c[key])
            .subquery()
        )
        rows = await self.session.execute(
            select(table.c.spec, table.c.version)
            .join(
                newest,
                (table.c[key] == newest.c[key]) & (table.c.version == newest.c.version),
            )
            .order_by(table.c[key])
        )
        return [(spec.model_validate(r.spec, context=STORED), r.version) for r in rows]

    async def versions(self, kind: str, item_id: str) -> list[dict[str, Any]]:
        """Every version of an audience, offer, challenge, partner or ladder (``kind``),
        oldest first."""
        table, key = _TABLES[kind]
        rows = await self.session.execute(
            select(table).where(table.c[key] == item_id).order_by(table.c.version)
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

    async def save_versioned(self, spec: Versioned, *, by: str) -> int:
        """Store a document as its next version (unchanged: the same version)."""
        table, key = _TABLES[_KINDS[type(spec)]]
        item_id = LADDER_ID if isinstance(spec, LadderSpec) else spec.id
        document = spec.model_dump(mode="json")
        last = (
            await self.session.execute(
                select(table.c.version, table.c.spec)
                .where(table.c[key] == item_id)
                .order_by(table.c.version.desc())
                .limit(1)
            )
        ).first()
        if last is not None and last.spec == document:
            return int(last.version)
        version = (last.version if last else 0) + 1
        kind = _KINDS[type(spec)]
        before = last.spec if last else None
        await self.record(
            by, "saved", kind, item_id, before=before, after=document, version=version
        )
        await self.session.execute(
            insert(table).values(
                {
                    key: item_id,
                    "version": version,
                    "spec": document,
                    "created_at": datetime.now(UTC),
                    "created_by": by,
                }
            )
        )
        return version

    async def _row(self) -> dict[str, Any] | None:
        """The one row of ``rfm_cutpoints``: the RFM boundaries and the last refresh."""
        found: dict[str, Any] | None = await self.session.scalar(
            select(rfm_cutpoints.c.cuts).where(rfm_cutpoints.c.id == 1)
        )
        return found

    async def cutpoints(self) -> Cutpoints | None:
        row = await self._row()
        if row is None or "members" not in row:
            return None
        return Cutpoints(
            recency=tuple(row["recency"]),
            frequency=tuple(row["frequency"]),
            monetary=tuple(row["monetary"]),
            members=int(row["members"]),
        )

    async def refreshed(self) -> str | None:
        """The day and program version the audiences were last refreshed for."""
        row = await self._row()
        return None if row is None else row.get("refreshed")

    async def mark_refreshed(self, version: str, at: datetime) -> None:
        row = await self._row()
        await self._save_row({**(row or {}), "refreshed": version}, at)

    async def _save_row(self, document: dict[str, Any], at: datetime) -> None:
        await insert_rows(
            self.session,
            rfm_cutpoints,
            [{"id": 1, "cuts": document, "computed_at": at}],
            on_conflict="update",
            key=["id"],
        )

    async def save_cutpoints(self, cuts: Cutpoints, at: datetime) -> None:
        row = await self._row()
        document = {
            **(row or {}),
            "recency": list(cuts.recency),
            "frequency": list(cuts.frequency),
            "monetary": list(cuts.monetary),
            "members": cuts.members,
        }
        await self._save_row(document, at)
