"""The ledger's HTTP API on PostgreSQL and Kafka: redemptions, adjustments, history, proof."""

import uuid
from typing import Any

import httpx
import pytest

from shared.auth import Authenticator
from tests.apps import ADMIN_KEY, READER_KEY, TILL_KEY, auth_settings

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
