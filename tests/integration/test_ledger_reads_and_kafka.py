"""The ledger from Kafka and for readers: awards booked from the topic (bad ones dead-lettered),
the balance's fast path answering as its route, a member's export."""

import json
import uuid
from typing import Any

import httpx
import pytest

from shared.auth import Authenticator
from shared.contracts.envelope import new_event
from shared.settings import KafkaSettings
from tests.apps import POS_KEY, READER_KEY, auth_settings
from tests.integration.test_ledger_api import ADMIN, TILL, credit
from tests.kafka_helpers import produce, read_until
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]


async def test_awards_from_kafka_post_entries_and_bad_ones_are_dead_lettered(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    data = {
        "award_id": "aw-1",
        "member_id": "m-8",
        "points": 42,
        "rule_id": "base-earn",
        "rule_version": 1,
        "explanation": "1 point per whole DKK spent",
        "source_event_id": "purchase-9",
        "source_event_type": "purchase.completed",
        "awarded_at": "2026-11-23T10:00:00Z",
    }
    awards = kafka_settings.topics.awards

    def award(**changes: Any) -> bytes:
        return new_event(
            id="aw-1",
            source="rules",
            type="points.awarded",
            subject="m-8",
            data={**data, **changes},
        ).to_bytes()

    await produce(kafka_settings, awards, award(), key=b"m-8")
    await produce(kafka_settings, awards, award(), key=b"m-8")  # duplicate: no-op
    await produce(kafka_settings, awards, award(points=43), key=b"m-8")  # conflicting
    await produce(kafka_settings, awards, award(points=-1), key=b"m-8")  # invalid
    letters = await read_until(
        kafka_settings, kafka_settings.topics.dead_letter, lambda r: len(r) >= 2
    )
    reasons = [dict(m.headers)["dlq.reason"].decode() for m in letters]
    assert "different content" in reasons[0]
    assert "points" in reasons[1]

    async def balance() -> dict[str, Any]:
        result: dict[str, Any] = (await client.get("/v1/members/m-8/balance", headers=TILL)).json()
        return result

    assert (await eventually(balance, lambda b: b["available"] > 0))["available"] == 42
    events = await read_until(kafka_settings, kafka_settings.topics.ledger, lambda r: len(r) >= 1)
    [earned] = [json.loads(m.value) for m in events]
    assert earned["type"] == "points.earned"
    assert earned["data"]["balance"]["available"] == 42
    report = (await client.get("/v1/admin/reconciliation", headers=ADMIN)).json()
    assert report["ok"] is True
    assert report["program_accounts"]["program:issued"] <= -42
    assert (
        await client.get("/v1/admin/reconciliation", headers={"X-API-Key": POS_KEY})
    ).status_code == 403


async def test_the_balance_fast_path_answers_as_the_route_and_refuses_nothing_itself(
    client: httpx.AsyncClient,
) -> None:
    await credit(client, "m-fast", 75)
    fast = await client.get("/v1/members/m-fast/balance", headers=TILL)
    # A query string takes the FastAPI route: both ways give the same document.
    routed = await client.get("/v1/members/m-fast/balance?via=route", headers=TILL)
    assert fast.status_code == routed.status_code == 200
    assert fast.json() == routed.json()
    assert fast.json()["available"] == 75
    assert fast.headers["content-type"] == "application/json"
    token = Authenticator(auth_settings()).issue_member_token("m-fast")
    mine = await client.get(
        "/v1/members/m-fast/balance", headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.json() == fast.json()
    # What the fast path does not let in, the route refuses with its problem documents.
    other = await client.get(
        "/v1/members/someone-else/balance", headers={"Authorization": f"Bearer {token}"}
    )
    missing = await client.get("/v1/members/m-fast/balance")
    wrong = await client.get("/v1/members/m-fast/balance", headers={"X-API-Key": "nope"})
    assert (other.status_code, missing.status_code, wrong.status_code) == (403, 401, 401)
    assert other.headers["content-type"].startswith("application/problem+json")
    unknown = (await client.get("/v1/members/never-seen/balance", headers=TILL)).json()
    assert (unknown["available"], unknown["updated_at"]) == (0, None)


async def test_a_member_exports_all_the_ledger_holds_about_them_and_only_they_or_an_admin(
    client: httpx.AsyncClient,
) -> None:
    member = f"x-{uuid.uuid4().hex[:6]}"
    await credit(client, member, 120)
    await credit(client, member, -20)
    tokens = Authenticator(auth_settings())
    own = {"Authorization": f"Bearer {tokens.issue_member_token(member)}"}
    other = {"Authorization": f"Bearer {tokens.issue_member_token('someone-else')}"}
    by_admin = await client.get(f"/v1/members/{member}/export", headers=ADMIN)
    by_member = await client.get(f"/v1/members/{member}/export", headers=own)
    by_other = await client.get(f"/v1/members/{member}/export", headers=other)
    by_reader = await client.get(f"/v1/members/{member}/export", headers={"X-API-Key": READER_KEY})
    assert (by_admin.status_code, by_member.status_code) == (200, 200)
    assert (by_other.status_code, by_reader.status_code) == (403, 403)
    assert by_admin.headers["content-disposition"] == f'attachment; filename="ledger-{member}.json"'
    exported = json.loads(by_admin.content)
    assert (exported["service"], exported["member_id"]) == ("ledger", member)
    [balance] = exported["balance"]
    assert balance["available"] == 100
    assert len(exported["operations"]) == 2
    assert sorted(e["actor"] for e in exported["entries"]) == ["admin", "admin"]
    assert json.loads(by_member.content)["entries"] == exported["entries"]


async def test_the_balance_fast_path_and_its_route_give_the_same_answer(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain-ASGI read answers only what the route would answer 200, and the same: a
    query string sends the same request to the route."""
    from services.ledger.entrypoints.balance_fast_path import BalanceFastPath

    taken: list[str | None] = []
    allowed = BalanceFastPath._allowed_read

    def spy(self: BalanceFastPath, scope: Any) -> str | None:
        taken.append(allowed(self, scope))
        return taken[-1]

    monkeypatch.setattr(BalanceFastPath, "_allowed_read", spy)
    await credit(client, "m-fast", 70)
    for member in ("m-fast", "m-never-seen"):
        fast = await client.get(f"/v1/members/{member}/balance", headers=TILL)
        routed = await client.get(f"/v1/members/{member}/balance?via=route", headers=TILL)
        assert taken[-2:] == [member, None]  # the fast path answered, then the route
        assert (fast.status_code, fast.json()) == (routed.status_code, routed.json())
        assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.json()["available"] == 0
