"""A purchase posted by a till becomes points on the balance and a message in the inbox."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.apps import POS_KEY
from tests.e2e.system import System
from tests.kafka_helpers import produce, read_until
from tests.polling import eventually

pytestmark = pytest.mark.e2e
# Within the window of plausible event times (docs/events.md), whenever this runs.
FIVE_DAYS_AGO = (datetime.now(UTC) - timedelta(days=5)).isoformat()


def purchase(member: str, total: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "pos/store-7",
        "type": "purchase.completed",
        "time": FIVE_DAYS_AGO,
        "subject": member,
        "data": {
            "purchase_id": f"p-{uuid.uuid4().hex[:6]}",
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": [],
        },
    }


class Member:
    """A member's app: reads its own balance and inbox with its own token."""

    def __init__(self, system: System, member_id: str, http: httpx.AsyncClient) -> None:
        self.system, self.id, self.http = system, member_id, http

    async def balance(self) -> dict[str, Any]:
        r = await self.http.get(f"{self.system.urls['ledger']}/v1/members/{self.id}/balance")
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    async def inbox(self) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.system.urls['notifications']}/v1/members/{self.id}/inbox")
        r.raise_for_status()
        messages: list[dict[str, Any]] = r.json()["messages"]
        return messages


async def post(system: System, body: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{system.urls['rules']}/v1/events", json=body, headers={"X-API-Key": POS_KEY}
        )


async def test_purchase_flows_to_balance_and_inbox_once_and_bad_input_is_dead_lettered(
    system: System, member_token: Callable[[str], str]
) -> None:
    member_id = f"m-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {member_token(member_id)}"}
    async with httpx.AsyncClient(timeout=5, headers=headers) as http:
        await _purchase_flows(system, Member(system, member_id, http))


async def _purchase_flows(system: System, member: Member) -> None:
    first = purchase(member.id, "249.90")

    assert (await post(system, first)).status_code == 202
    # The default program keeps purchase points pending for a 14-day return window.
    balance = await eventually(
        member.balance, lambda b: b["pending"] == 249, what="balance shows the purchase"
    )
    assert (balance["available"], balance["lifetime_earned"]) == (0, 249)
    [message] = await eventually(member.inbox, lambda m: len(m) == 1, what="inbox message")
    assert message["title"] == "249 points on their way"
    assert "249.90 DKK" in message["body"]

    # The same event id again, then a marker purchase: the member's events stay in order on
    # one partition, so once the marker shows, the duplicate has been handled (as nothing).
    assert (await post(system, first)).status_code == 202
    assert (await post(system, purchase(member.id, "10.00"))).status_code == 202
    balance = await eventually(
        member.balance, lambda b: b["lifetime_earned"] >= 259, what="marker purchase on the balance"
    )
    assert (balance["pending"], balance["lifetime_earned"]) == (259, 259)
    messages = await eventually(member.inbox, lambda m: len(m) >= 2, what="marker message")
    assert [m["title"] for m in messages] == ["10 points on their way", "249 points on their way"]

    # A malformed message straight onto the input topic goes to the dead-letter topic ...
    topics = system.kafka.topics
    await produce(system.kafka, topics.events, b'{"specversion": "1.0", "id": ', key=b"x")
    letters = await read_until(
        system.kafka,
        topics.dead_letter,
        lambda r: any(m.value.startswith(b'{"specversion') for m in r),
    )
    assert any(h[0] == "dlq.reason" for m in letters for h in m.headers)
    # ... and the next good event still flows.
    assert (await post(system, purchase(member.id, "5.00"))).status_code == 202
    await eventually(member.balance, lambda b: b["pending"] == 264, what="after dead letter")

    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{system.urls['rules']}/metrics")).text
    dead_lettered = [
        line
        for line in metrics.splitlines()
        if line.startswith("pointstream_messages_consumed_total")
        and 'outcome="dead_lettered"' in line
    ]
    assert dead_lettered
    assert float(dead_lettered[0].rsplit(" ", 1)[1]) >= 1


async def test_a_member_token_reads_only_its_own_balance_and_inbox(
    system: System, member_token: Callable[[str], str]
) -> None:
    intruder = httpx.AsyncClient(headers={"Authorization": f"Bearer {member_token('m-a')}"})
    async with intruder:
        balance = await intruder.get(f"{system.urls['ledger']}/v1/members/m-b/balance")
        inbox = await intruder.get(f"{system.urls['notifications']}/v1/members/m-b/inbox")
        own = await intruder.get(f"{system.urls['ledger']}/v1/members/m-a/balance")
    assert (balance.status_code, inbox.status_code, own.status_code) == (403, 403, 200)
    assert balance.headers["content-type"] == "application/problem+json"
