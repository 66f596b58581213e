"""Drafts, and the audit trail each service owning part of the program keeps: who changed
what, when, the document before and after. A row is written in the same transaction as the
change: no change without its row, no row without its change."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UtcDateTime


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(50), nullable=False),
        Column("kind", String(50), nullable=False),
        Column("object_id", String(200), nullable=False),
        Column("version", Integer, nullable=True),
        Column("effective_at", UtcDateTime(), nullable=True),
        Column("before", JSON, nullable=True),
        Column("after", JSON, nullable=True),
        Index("ix_audit_kind_object", "kind", "object_id"),
    )


def drafts_table(metadata: MetaData) -> Table:
    """Documents being edited, not in force: one per kind and id until published."""
    return Table(
        "drafts",
        metadata,
        Column("kind", String(20), primary_key=True),
        Column("object_id", String(100), primary_key=True),
        Column("spec", JSON, nullable=False),
        Column("base_version", Integer, nullable=True),  # the version it was started from
        Column("saved_at", UtcDateTime(), nullable=False),
        Column("saved_by", String(200), nullable=False),
    )


# ``before`` as a query takes: a moment with its zone, written out (a number is no moment).
BEFORE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"


# What the trail's changes are of, per service, and the ids they name (a query's ``object_id``).
RULES_KINDS = Literal[
    "rule", "tiers", "offer", "audience", "challenge", "partner", "ladder", "exchange rates"
]
LEDGER_KINDS = Literal["reward", "adjustment"]
OBJECT_ID = r"^[A-Za-z0-9_:@.-]{1,200}$"


def older_than(
    before: Annotated[
        str | None, Query(pattern=BEFORE, description="older than this moment (with its zone)")
    ] = None,
) -> datetime | None:
    """A trail's ``before`` query as a moment (a dependency of both services' trail routes);
    a 422 when it fits the pattern and is no moment (0000-00-00T00:00Z)."""
    if before is None:
        return None
    try:
        return datetime.fromisoformat(before.replace("Z", "+00:00"))
    except ValueError as exc:
        raise HTTPException(422, "before: a moment such as 2026-12-03T10:00:00Z") from exc


class Change(BaseModel):
    """One change to the program, as the audit trail shows it."""

    at: datetime
    actor: str = Field(description="the API key's name that made the change")
    action: str = Field(description="published, scheduled, saved, replaced, adjusted ...")
    kind: str = Field(description="rule, tiers, offer, audience, challenge, reward ...")
    object_id: str
    version: int | None = None
    effective_at: datetime | None = Field(
        default=None, description="when a scheduled version takes effect"
    )
    before: Any = None
    after: Any = None
    service: str = ""


async def record_change(
    session: AsyncSession,
    table: Table,
    *,
    actor: str,
    action: str,
    kind: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
    version: int | None = None,
    effective_at: datetime | None = None,
    at: datetime | None = None,
) -> None:
    await session.execute(
        table.insert().values(
            at=at or datetime.now(UTC),
            actor=actor,
            action=action,
            kind=kind,
            object_id=object_id,
            version=version,
            effective_at=effective_at,
            before=before,
            after=after,
        )
    )


async def read_trail(
    session: AsyncSession,
    table: Table,
    *,
    service: str,
    kind: str | None = None,
    object_id: str | None = None,
    before: datetime | None = None,
    limit: int = 100,
) -> list[Change]:
    """The newest changes first (``before``: older than that moment, to page back)."""
    query = select(table).order_by(table.c.at.desc(), table.c.id.desc()).limit(limit)
    if kind:
        query = query.where(table.c.kind == kind)
    if object_id:
        query = query.where(table.c.object_id == object_id)
    if before is not None:
        query = query.where(table.c.at < before)
    rows = await session.execute(query)
    return [
        Change(
            at=r.at,
            actor=r.actor,
            action=r.action,
            kind=r.kind,
            object_id=r.object_id,
            version=r.version,
            effective_at=r.effective_at,
            before=r.before,
            after=r.after,
            service=service,
        )
        for r in rows
    ]
