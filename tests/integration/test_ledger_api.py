"""The ledger's HTTP API on PostgreSQL and Kafka: redemptions, adjustments, history, proof."""

import json
import uuid
from typing import Any

import httpx
import pytest

from shared.auth import Authenticator
from shared.contracts.envelope import new_event
from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, POS_KEY, READER_KEY, TILL_KEY, auth_settings
from tests.kafka_helpers import produce, read_until
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]
TILL = {"X-API-Key": TILL_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}


async def credit(client: httpx.AsyncClient, member: str, points: int) -> None:
    response = await client.post(
        f"/v1/admin/members/{member}/adjustments",
        headers=ADMIN,
        json={"adjustment_id": uuid.uuid4().hex, "points": points, "reason": "welcome gift"},
    )
    assert response.status_code == 201, response.text


async def redeem(
    client: httpx.AsyncClient,
    member: str,
    key: str,
    body: dict[str, Any],
    headers: dict[str, str] = TILL,
) -> httpx.Response:
    return await client.post(
        f"/v1/members/{member}/redemptions", json=body, headers={**headers, "Idempotency-Key": key}
    )


async def test_a_redemption_debits_once_per_idempotency_key(client: httpx.AsyncClient) -> None:
    await credit(client, "m-1", 100)
    body = {"points": 60, "description": "cinema ticket"}
    first = await redeem(client, "m-1", "till-7-receipt-1", body)
    retry = await redeem(client, "m-1", "till-7-receipt-1", body)
    other = await redeem(client, "m-1", "till-7-receipt-1", {**body, "points": 10})
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 409)
    assert first.json()["redemption_id"] == retry.json()["redemption_id"]
    assert first.json()["balance"]["available"] == 40
    assert other.headers["content-type"] == "application/problem+json"
    balance = (await client.get("/v1/members/m-1/balance", headers=TILL)).json()
    assert (balance["available"], balance["lifetime_redeemed"]) == (40, 60)


async def test_refusals_are_clear_and_write_nothing(client: httpx.AsyncClient) -> None:
    await credit(client, "m-2", 50)
    too_much = await redeem(client, "m-2", "k1", {"points": 51, "description": "mug"})
    unknown = await redeem(client, "ghost", "k2", {"points": 1, "description": "mug"})
    zero = await redeem(client, "m-2", "k3", {"points": 0, "description": "mug"})
    no_key = await client.post(
        "/v1/members/m-2/redemptions", headers=TILL, json={"points": 1, "description": "mug"}
    )
    reader = await redeem(
        client, "m-2", "k4", {"points": 1, "description": "mug"}, headers={"X-API-Key": READER_KEY}
    )
    assert too_much.status_code == 409
    assert "50 are available" in too_much.json()["detail"]
    assert (unknown.status_code, zero.status_code, no_key.status_code) == (404, 422, 422)
    assert reader.status_code == 403
    assert (await client.get("/v1/members/m-2/balance", headers=TILL)).json()["available"] == 50


async def test_a_member_spends_only_their_own_points(client: httpx.AsyncClient) -> None:
    await credit(client, "m-3", 30)
    tokens = Authenticator(auth_settings())
    own = {"Authorization": f"Bearer {tokens.issue_member_token('m-3')}"}
    other = {"Authorization": f"Bearer {tokens.issue_member_token('m-4')}"}
    stolen = await redeem(client, "m-3", "k", {"points": 10, "description": "x"}, headers=other)
    mine = await redeem(client, "m-3", "k", {"points": 10, "description": "x"}, headers=own)
    assert (stolen.status_code, mine.status_code) == (403, 201)


async def test_a_hold_is_captured_or_released(client: httpx.AsyncClient) -> None:
    await credit(client, "m-5", 100)
    held = await redeem(
        client, "m-5", "order-1", {"points": 80, "description": "kettle", "hold_seconds": 3600}
    )
    assert held.status_code == 201
    assert held.json()["status"] == "held"
    assert held.json()["balance"]["held"] == 80
    rid = held.json()["redemption_id"]
    released = await client.post(f"/v1/members/m-5/redemptions/{rid}/release", headers=TILL)
    capture_after = await client.post(f"/v1/members/m-5/redemptions/{rid}/capture", headers=TILL)
    assert released.json()["status"] == "released"
    assert released.json()["balance"]["available"] == 100
    assert capture_after.status_code == 409
    missing = await client.post("/v1/members/m-5/redemptions/nope/capture", headers=TILL)
    assert missing.status_code == 404


async def test_a_member_cannot_lift_a_tills_hold_on_their_points(
    client: httpx.AsyncClient,
) -> None:
    """The hold's operation id is on the member's statement; their token still cannot
    release it (to spend the points twice) or capture it."""
    await credit(client, "m-6", 100)
    held = await redeem(
        client, "m-6", "order-2", {"points": 60, "description": "toaster", "hold_seconds": 3600}
    )
    rid = held.json()["redemption_id"]
    own = {"Authorization": f"Bearer {Authenticator(auth_settings()).issue_member_token('m-6')}"}
    for step in ("release", "capture"):
        refused = await client.post(f"/v1/members/m-6/redemptions/{rid}/{step}", headers=own)
        assert refused.status_code == 403, step
        assert "member token cannot" in refused.json()["detail"]
    balance = (await client.get("/v1/members/m-6/balance", headers=own)).json()
    assert (balance["held"], balance["available"]) == (60, 40)


async def test_only_admins_adjust_and_the_entry_names_who_and_why(
    client: httpx.AsyncClient,
) -> None:
    denied = await client.post(
        "/v1/admin/members/m-6/adjustments",
        headers=TILL,
        json={"adjustment_id": "a", "points": 5, "reason": "because"},
    )
    assert denied.status_code == 403
    await credit(client, "m-6", 15)
    page = (await client.get("/v1/members/m-6/entries", headers=TILL)).json()
    [entry] = page["entries"]
    assert (entry["kind"], entry["points"], entry["explanation"]) == ("adjust", 15, "welcome gift")


async def test_history_is_newest_first_in_pages_and_bad_paging_is_refused(
    client: httpx.AsyncClient,
) -> None:
    for points in (1, 2, 3):
        await credit(client, "m-7", points)
    first = (await client.get("/v1/members/m-7/entries?limit=2", headers=TILL)).json()
    rest = (
        await client.get(
            f"/v1/members/m-7/entries?limit=2&cursor={first['next_cursor']}", headers=TILL
        )
    ).json()
    assert [e["points"] for e in first["entries"] + rest["entries"]] == [3, 2, 1]
    assert [e["available_after"] for e in first["entries"]] == [6, 3]
    assert rest["next_cursor"] is None
    huge = await client.get("/v1/members/m-7/entries?limit=100000", headers=TILL)
    forged = await client.get("/v1/members/m-7/entries?cursor=!!", headers=TILL)
    assert (huge.status_code, forged.status_code) == (422, 400)


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
