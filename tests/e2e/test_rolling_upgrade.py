"""A rolling upgrade has both shapes in flight: messages the services wrote before it, still in
the topics, are handled by the services after it, with the same effect."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import CloudEvent, derived_id, new_event
from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import READER_KEY
from tests.e2e.system import System
from tests.polling import eventually

pytestmark = pytest.mark.e2e
EARLIER = datetime.now(UTC) - timedelta(days=20)  # return windows long past


async def write(system: System, topic: str, events: list[CloudEvent]) -> None:
    """As the services wrote them before the upgrade: structured, keyed by member, and (as
    then) without the ce_type header."""
    producer = EventProducer(system.kafka, client_id="before-the-upgrade")
    await producer.start()
    try:
        await producer.send(
            [
                OutgoingMessage(topic=topic, key=e.subject.encode(), value=e.to_bytes())
                for e in events
            ]
        )
    finally:
        await producer.stop()


def old_award(member: str, purchase: str, points: int) -> CloudEvent:
    """``points.awarded``: one message per rule, what the rules wrote before points.decided."""
    data: dict[str, Any] = {
        "award_id": derived_id(purchase, "base-earn"),
        "member_id": member,
        "points": points,
        "rule_id": "base-earn",
        "rule_version": 1,
        "explanation": "1 point per DKK spent",
        "source_event_id": purchase,
        "source_event_type": "purchase.completed",
        "awarded_at": EARLIER.isoformat(),
    }
    return new_event(
        id=data["award_id"], source="rules", type="points.awarded", subject=member, data=data
    )


def old_revocation(member: str, purchase: str, points: int) -> CloudEvent:
    data: dict[str, Any] = {
        "revocation_id": derived_id(f"return-of-{purchase}", "base-earn", "revoke"),
        "member_id": member,
        "points": points,
        "revokes_event_id": purchase,
        "rule_id": "base-earn",
        "rule_version": 1,
        "explanation": "returned goods",
        "source_event_id": f"return-of-{purchase}",
        "revoked_at": (EARLIER + timedelta(hours=1)).isoformat(),
    }
    return new_event(
        id=data["revocation_id"], source="rules", type="points.revoked", subject=member, data=data
    )


def old_earning(member: str, points: int) -> CloudEvent:
    """``points.earned`` as the ledger wrote it one rule at a time: no parts, no language."""
    operation = uuid.uuid4().hex
    data: dict[str, Any] = {
        "operation_id": operation,
        "member_id": member,
        "kind": "earned",
        "points": points,
        "status": "available",
        "explanation": "1 point per DKK spent",
        "rule_id": "base-earn",
        "rule_version": 1,
        "source_event_id": f"p-{operation[:6]}",
        "recorded_at": EARLIER.isoformat(),
        "postings": [
            {
                "entry_id": f"{operation}-1",
                "debit_account": "program:issued",
                "credit_account": f"member:{member}:available",
                "points": points,
            }
        ],
        "balance": {"available": points, "pending": 0, "lifetime_earned": points},
    }
    return new_event(
        id=f"ledger/{operation}", source="ledger", type="points.earned", subject=member, data=data
    )


def old_voucher(member: str) -> CloudEvent:
    """``voucher.issued`` from before rewards had names in every language."""
    code = f"OLD-{uuid.uuid4().hex[:4].upper()}-TEST"
    data = {
        "code": code,
        "member_id": member,
        "reward_id": "plant-a-tree",
        "reward_name": "Plant a tree",
        "status": "issued",
        "points": 100,
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
    }
    return new_event(
        id=f"voucher/{code}/issued",
        source="ledger",
        type="voucher.issued",
        subject=member,
        data=data,
    )


async def test_messages_of_the_older_shapes_still_in_the_topics_are_handled(
    system: System,
) -> None:
    booked, told = f"up-{uuid.uuid4().hex[:6]}", f"up-{uuid.uuid4().hex[:6]}"
    purchase = f"p-{uuid.uuid4().hex[:6]}"
    topics = system.kafka.topics
    await write(system, topics.awards, [old_award(booked, purchase, 100)])
    await write(system, topics.awards, [old_revocation(booked, purchase, 30)])
    await write(system, topics.ledger, [old_earning(told, 40), old_voucher(told)])

    async def balance() -> dict[str, int]:
        return (await system.balances([booked]))[booked]

    found = await eventually(
        balance,
        lambda b: b.get("available") == 70 and b.get("lifetime_earned") == 70,  # 100 - 30
        what="the old award booked and the old revocation taken back",
    )
    assert (found["pending"], found["held"]) == (0, 0)

    async def inbox(member: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
            r = await client.get(f"{system.urls['notifications']}/v1/members/{member}/inbox")
        messages: list[dict[str, Any]] = r.json()["messages"] if r.status_code == 200 else []
        return messages

    messages = await eventually(
        lambda: inbox(told), lambda m: len(m) == 2, what="the old earning and voucher told"
    )
    titles = " ".join(m["title"] for m in messages)
    assert "40" in titles
    assert any("Plant a tree" in m["title"] + m["body"] for m in messages), messages
    # The booked member hears of the points the ledger booked from the old award.
    await eventually(
        lambda: inbox(booked),
        lambda m: any("100" in x["title"] for x in m),
        what="the old award's points told",
    )
