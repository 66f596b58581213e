"""The ledger's chunk handler on real PostgreSQL: decisions of both shapes (and the one-award
messages of rules before them) in one chunk."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.orm import balances, entries
from services.ledger.adapters.orm import outbox as ledger_outbox
from services.ledger.domain.model import Policy
from services.ledger.entrypoints.consumer import award_handler
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork as LedgerUoW
from shared.contracts.envelope import CloudEvent, derived_id, new_event
from shared.db import create_engine, session_factory
from shared.kafka.chunks import BatchHandler
from tests.conftest import Databases
from tests.integration.test_chunks import NOW

pytestmark = pytest.mark.integration


@pytest.fixture
async def ledger(databases: Databases) -> AsyncIterator[tuple[BatchHandler, AsyncEngine]]:
    engine = create_engine(await databases.migrated("ledger"))
    sessions = session_factory(engine)
    uow = lambda: LedgerUoW(sessions, "ledger")  # noqa: E731
    yield award_handler(uow, Policy(), lambda: None), engine
    await engine.dispose()


def decision(member: str, source: str, awards: list[tuple[str, int, bool]]) -> CloudEvent:
    data: dict[str, Any] = {
        "decision_id": derived_id(source, "decision", member),
        "member_id": member,
        "source_event_id": source,
        "source_event_type": "purchase.completed",
        "decided_at": NOW.isoformat(),
        "awards": [
            {
                "award_id": derived_id(source, rule),
                "points": pts,
                "rule_id": rule,
                "rule_version": 1,
                "driver": "economic",
                "explanation": f"{rule} explained",
                "pending_until": "2099-01-01T00:00:00+00:00" if pending else None,
            }
            for rule, pts, pending in awards
        ],
    }
    return new_event(
        id=data["decision_id"], source="rules", type="points.decided", subject=member, data=data
    )


def old_award(member: str, source: str, rule: str, pts: int) -> CloudEvent:
    data: dict[str, Any] = {
        "award_id": derived_id(source, rule),
        "member_id": member,
        "points": pts,
        "rule_id": rule,
        "rule_version": 1,
        "explanation": "before the upgrade",
        "source_event_id": source,
        "source_event_type": "purchase.completed",
        "awarded_at": NOW.isoformat(),
    }
    return new_event(
        id=data["award_id"], source="rules", type="points.awarded", subject=member, data=data
    )


async def test_the_ledger_books_decisions_of_both_shapes_in_one_chunk(
    ledger: tuple[BatchHandler, AsyncEngine],
) -> None:
    handle, engine = ledger
    earned = decision("anna", "p-1", [("base-earn", 230, True), ("app-purchase", 50, False)])
    changed = decision("anna", "p-1", [("base-earn", 999, True)])  # same id, other content
    revoked: dict[str, Any] = {
        "decision_id": derived_id("r-1", "decision", "anna"),
        "member_id": "anna",
        "source_event_id": "r-1",
        "source_event_type": "purchase.returned",
        "decided_at": NOW.isoformat(),
        "revocations": [
            {
                "revocation_id": derived_id("r-1", "base-earn", "revoke"),
                "points": 100,
                "revokes_event_id": "p-1",
                "rule_id": "base-earn",
                "rule_version": 1,
                "explanation": "returned goods",
            }
        ],
    }
    chunk = [
        earned,
        old_award("bo", "p-2", "base-earn", 40),  # written by rules before the upgrade
        earned,  # a duplicate
        changed,
        new_event(
            id=revoked["decision_id"],
            source="rules",
            type="points.decided",
            subject="anna",
            data=revoked,
        ),
    ]
    rejected = await handle(chunk)
    assert list(rejected) == [3]
    assert "already done with different content" in rejected[3]
    async with engine.connect() as conn:
        found = {
            r.member_id: (r.available, r.pending, r.lifetime_earned)
            for r in await conn.execute(select(balances))
        }
        # The books name each member's account by its key, never by the member's id.
        rows = (
            await conn.execute(
                select(balances.c.member_id, entries.c.rule_id, entries.c.points, entries.c.kind)
                .join(balances, balances.c.account_key == entries.c.account_key)
                .order_by(entries.c.id)
            )
        ).all()
        assert not any(
            "anna" in a or "bo" in a
            for a in await conn.scalars(
                select(entries.c.credit_account).union(select(entries.c.debit_account))
            )
        )
        published = [json.loads(p) for p in await conn.scalars(select(ledger_outbox.c.payload))]
    # anna: 230 pending + 50 available, then 100 of the pending base-earn taken back.
    assert found == {"anna": (50, 130, 180), "bo": (40, 0, 40)}
    assert [tuple(r[1:]) for r in rows if r[0] == "anna"] == [
        ("base-earn", 230, "earn"),
        ("app-purchase", 50, "earn"),
        ("base-earn", 100, "reverse"),
    ]
    assert [tuple(r[1:]) for r in rows if r[0] == "bo"] == [("base-earn", 40, "earn")]
    # One ledger message per operation, each member's in order; an earning names each share.
    assert [
        (p["subject"], p["type"], p["data"]["points"]) for p in published if p["subject"] == "anna"
    ] == [("anna", "points.earned", 280), ("anna", "points.reversed", 100)]
    assert len(published) == 3
    first = published[0]["data"]
    assert first["status"] == "partly_pending"
    assert [(p["rule_id"], p["points"], p["status"]) for p in first["parts"]] == [
        ("base-earn", 230, "pending"),
        ("app-purchase", 50, "available"),
    ]
