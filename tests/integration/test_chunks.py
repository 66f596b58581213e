"""What handling messages as chunks makes new, on PostgreSQL: duplicates, a purchase and its
return, a poison message and one member's events inside one chunk; two replicas locking
overlapping members; the ledger booking decisions of both message shapes in one chunk.

Expected points are worked out by hand from the default pack (1 point per krone, double on
dairy, 75 for the 5th visit this month, 100 welcome, 200 + 100 for a referral)."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.rules.adapters.orm import outbox as rules_outbox
from services.rules.adapters.orm import processed_events, purchases
from services.rules.entrypoints.consumer import event_handler
from services.rules.service_layer.pack import load_default_pack_if_empty
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import SqlAlchemyUnitOfWork as RulesUoW
from shared.contracts.envelope import CloudEvent, derived_id, new_event
from shared.db import create_engine, session_factory
from shared.kafka.chunks import BatchHandler
from tests.conftest import Databases

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def event(
    kind: str, member: str, event_id: str | None = None, source: str = "pos/test", **data: Any
) -> CloudEvent:
    return new_event(
        id=event_id or uuid.uuid4().hex,
        source=source,
        type=kind,
        subject=member,
        data=data,
        time=NOW,
    )


def purchase(
    member: str,
    dairy: str,
    other: str = "0",
    event_id: str | None = None,
    source: str = "pos/test",
) -> CloudEvent:
    lines = [{"sku": "milk", "category": "dairy", "quantity": 1, "unit_price": dairy}]
    if other != "0":
        lines.append({"sku": "bread", "category": "bakery", "quantity": 1, "unit_price": other})
    total = str(sum(float(x) for x in (dairy, other)))
    data = {
        "purchase_id": uuid.uuid4().hex,
        "channel": "pos",
        "currency": "DKK",
        "total": total,
        "lines": lines,
    }
    return event("purchase.completed", member, event_id, source, **data)


@pytest.fixture
async def rules(databases: Databases) -> AsyncIterator[tuple[BatchHandler, AsyncEngine]]:
    engine = create_engine(await databases.migrated("rules"))
    sessions = session_factory(engine)
    await load_default_pack_if_empty(sessions)
    book = RuleBook(sessions)
    yield event_handler(lambda: RulesUoW(sessions, "awards"), book, lambda: None), engine
    await engine.dispose()


async def decided(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.scalars(select(rules_outbox.c.payload).order_by(rules_outbox.c.id))
        return [json.loads(r) for r in rows]


def points(message: dict[str, Any]) -> dict[str, int]:
    data = message["data"]
    return {p["rule_id"]: p["points"] for p in data.get("awards", []) + data.get("revocations", [])}


async def test_a_chunk_with_a_duplicate_a_return_of_its_purchase_and_a_poison_message(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    handle, engine = rules
    bought = purchase("anna", dairy="200.00")
    chunk = [
        event("member.enrolled", "anna", channel="pos", language="en"),
        bought,
        bought,  # delivered twice within the chunk
        event(
            "purchase.returned",
            "anna",
            return_id="r1",
            original_event_id=bought.id,
            currency="DKK",
            amount="200",
        ),
        event(
            "purchase.returned",
            "anna",
            return_id="r2",
            original_event_id="never-seen",
            currency="DKK",
            amount="5",
        ),
        purchase("bo", dairy="10.00", other="30.00"),
    ]
    rejected = await handle(chunk)
    assert rejected == {4: "return of unknown purchase 'never-seen'"}
    messages = [m for m in await decided(engine) if m["type"] == "points.decided"]
    assert [(m["subject"], points(m)) for m in messages] == [
        ("anna", {"welcome": 100}),
        ("anna", {"base-earn": 200, "dairy-double": 200}),
        ("anna", {"base-earn": 200, "dairy-double": 200}),  # the return takes it all back
        ("bo", {"base-earn": 40, "dairy-double": 10}),
    ]
    assert [m["data"]["revocations"] != [] for m in messages] == [False, False, True, False]
    async with engine.connect() as conn:
        seen = set(await conn.scalars(select(processed_events.c.event_id)))
    assert seen == {chunk[0].key, bought.key, chunk[3].key, chunk[5].key}  # not the poison


async def test_two_stores_numbering_receipts_alike_both_earn_and_each_return_finds_its_own(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    """Identity is source + id (CloudEvents): receipt-4711 of store 1 and of store 2 are two
    purchases; a return names its purchase's source when it is not its own."""
    handle, engine = rules
    receipt = f"receipt-{uuid.uuid4().hex[:6]}"
    first = purchase("ann", dairy="100.00", event_id=receipt, source="pos/store-1")
    second = purchase("ben", dairy="50.00", event_id=receipt, source="pos/store-2")
    assert await handle([first, second, first]) == {}  # the third is store 1's again
    returned_at_store_2 = event(
        "purchase.returned",
        "ben",
        source="pos/store-2",
        return_id="r1",
        original_event_id=receipt,
        currency="DKK",
        amount="50",
    )
    returned_elsewhere = event(
        "purchase.returned",
        "ann",
        source="web/shop",
        return_id="r2",
        original_event_id=receipt,
        original_source="pos/store-1",
        currency="DKK",
        amount="100",
    )
    assert await handle([returned_at_store_2, returned_elsewhere]) == {}
    messages = [m for m in await decided(engine) if m["subject"] in ("ann", "ben")]
    assert [(m["subject"], points(m)) for m in messages] == [
        ("ann", {"base-earn": 100, "dairy-double": 100}),
        ("ben", {"base-earn": 50, "dairy-double": 50}),
        ("ben", {"base-earn": 50, "dairy-double": 50}),  # taken back from ben's own
        ("ann", {"base-earn": 100, "dairy-double": 100}),
    ]
    assert len({m["id"] for m in messages}) == 4


async def test_events_recorded_by_their_bare_id_before_the_upgrade_are_still_known(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    """Rows written when an event was known by its id alone: a redelivery is a repeat, and a
    return finds the purchase."""
    handle, engine = rules
    old, old_purchase = f"old-{uuid.uuid4().hex[:6]}", f"old-{uuid.uuid4().hex[:6]}"
    async with engine.begin() as conn:
        await conn.execute(
            processed_events.insert(),
            [
                {
                    "event_id": name,
                    "event_type": "purchase.completed",
                    "member_id": "cy",
                    "occurred_at": NOW,
                    "processed_at": NOW,
                }
                for name in (old, old_purchase)
            ],
        )
        await conn.execute(
            purchases.insert().values(
                event_id=old_purchase,
                member_id="cy",
                occurred_at=NOW,
                currency="DKK",
                paid=80,
                record={
                    "currency": "DKK",
                    "paid": "80.00",
                    "returned": "0",
                    "shares": {"base-earn": {"rule_version": 1, "points": 80, "revoked": 0}},
                },
            )
        )
    ret = event(
        "purchase.returned",
        "cy",
        return_id="r1",
        original_event_id=old_purchase,
        currency="DKK",
        amount="80",
    )
    assert await handle([purchase("cy", dairy="80.00", event_id=old), ret]) == {}
    messages = [m for m in await decided(engine) if m["subject"] == "cy"]
    assert [points(m) for m in messages] == [{"base-earn": 80}]  # the return only
    assert messages[0]["data"]["revocations"][0]["revokes_award_id"] == derived_id(
        old_purchase, "base-earn"
    )


async def test_one_members_events_in_one_chunk_are_applied_in_order(
    rules: tuple[BatchHandler, AsyncEngine],
) -> None:
    handle, engine = rules
    visits = [purchase("cleo", dairy="0", other=f"{10 + n}.00") for n in range(6)]
    assert await handle(visits) == {}
    earned = [points(m) for m in await decided(engine) if m["type"] == "points.decided"]
    # The 5th purchase of the month, and only it, sees purchases_this_month == 5.
    assert earned == [
        {"base-earn": 10},
        {"base-earn": 11},
        {"base-earn": 12},
        {"base-earn": 13},
        {"base-earn": 14, "fifth-visit": 75},
        {"base-earn": 15},
    ]
