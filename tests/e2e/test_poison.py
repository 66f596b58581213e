"""Poison on every input topic: malformed JSON, a wrong schema, an unknown type and a huge
payload each go to the dead-letter topic with a reason, and the next good message flows."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import new_event
from shared.kafka import dead_letter
from tests.apps import READER_KEY
from tests.e2e.system import System
from tests.kafka_helpers import produce, read_all
from tests.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).isoformat()


def poison(member: str, good_type: str) -> list[bytes]:
    envelope = {"specversion": "1.0", "source": "test", "time": NOW, "subject": member}
    return [
        b'{"specversion": "1.0", "id": ',
        json.dumps(
            {**envelope, "id": uuid.uuid4().hex, "type": good_type, "data": {"nonsense": True}}
        ).encode(),
        json.dumps(
            {**envelope, "id": uuid.uuid4().hex, "type": "purchase.teleported", "data": {}}
        ).encode(),
        json.dumps(
            {
                **envelope,
                "id": uuid.uuid4().hex,
                "type": good_type,
                "data": {"padding": "x" * 800_000},
            }
        ).encode(),
    ]


async def letters_from(system: System, topic: str) -> list[dict[str, Any]]:
    records = await read_all(system.kafka, system.kafka.topics.dead_letter)
    found = []
    for record in records:
        headers = {k: v.decode() for k, v in record.headers}
        if headers[dead_letter.ORIGINAL_TOPIC] == topic:
            found.append(headers)
    return found


async def test_poison_on_every_input_topic_is_dead_lettered_and_good_messages_still_flow(
    system: System,
) -> None:
    topics, member = system.kafka.topics, f"poison-{uuid.uuid4().hex[:6]}"
    for message in poison(member, "purchase.completed"):
        await produce(system.kafka, topics.events, message, key=member.encode())
    for message in poison(member, "points.awarded"):
        await produce(system.kafka, topics.awards, message, key=member.encode())
    for message in poison(member, "points.earned"):
        await produce(system.kafka, topics.ledger, message, key=member.encode())
    good = new_event(
        id=uuid.uuid4().hex,
        source="pos/1",
        type="purchase.completed",
        subject=member,
        data={"purchase_id": "p", "channel": "pos", "currency": "DKK", "total": "42.00"},
    )
    await produce(system.kafka, topics.events, good.to_bytes(), key=member.encode())

    reader = {"X-API-Key": READER_KEY}
    async with httpx.AsyncClient(timeout=5, headers=reader) as client:
        balance = await eventually(
            lambda: client.get(f"{system.urls['ledger']}/v1/members/{member}/balance"),
            lambda r: r.json()["lifetime_earned"] == 42,
            what="the good purchase",
        )
        inbox = await eventually(
            lambda: client.get(f"{system.urls['notifications']}/v1/members/{member}/inbox"),
            lambda r: len(r.json()["messages"]) == 1,
            what="its message",
        )
    assert balance.json()["pending"] == 42
    assert inbox.json()["messages"][0]["title"] == "42 points on their way"

    events = await letters_from(system, topics.events)
    awards = await letters_from(system, topics.awards)
    ledger = await letters_from(system, topics.ledger)
    assert len(events) == 4  # the rules
    # the ledger refuses all four; the notifications the two that are not awards at all
    # (they leave the content of awards to the ledger): nothing else, no good award
    assert len(awards) == 6
    assert len(ledger) == 4  # the notifications
    reasons = " | ".join(h[dead_letter.REASON] for h in events)
    assert "not valid JSON" in reasons
    assert "unknown event type 'purchase.teleported'" in reasons
    assert {h[dead_letter.CONSUMER_GROUP].rsplit(".", 1)[-1] for h in awards} == {
        "ledger",
        "notifications",
    }
