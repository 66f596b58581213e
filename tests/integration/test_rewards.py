"""Rewards and vouchers on PostgreSQL: races for the last item, single use, refunds, gating."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.ledger.bootstrap import uow_factory
from services.ledger.service_layer.rewards import expire_vouchers
from services.ledger.settings import LedgerSettings
from shared.contracts.envelope import new_event
from shared.db import create_engine, session_factory
from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, POS_KEY, TILL_KEY
from tests.kafka_helpers import produce
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]
TILL, ADMIN, POS = {"X-API-Key": TILL_KEY}, {"X-API-Key": ADMIN_KEY}, {"X-API-Key": POS_KEY}


async def member_with(client: httpx.AsyncClient, points: int) -> str:
    member = f"m-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        f"/v1/admin/members/{member}/adjustments",
        headers=ADMIN,
        json={"adjustment_id": uuid.uuid4().hex, "points": points, "reason": "test points"},
    )
    assert response.status_code == 201
    return member


async def redeem(
    client: httpx.AsyncClient, member: str, reward: str, key: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/v1/members/{member}/redemptions",
        json={"reward_id": reward},
        headers={**TILL, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def available(client: httpx.AsyncClient, member: str) -> int:
    balance: dict[str, Any] = (
        await client.get(f"/v1/members/{member}/balance", headers=TILL)
    ).json()
    return int(balance["available"])


async def add_reward(client: httpx.AsyncClient, **spec: Any) -> str:
    reward_id = f"r-{uuid.uuid4().hex[:8]}"
    body = {
        "id": reward_id,
        "kind": "free_product",
        "cost_points": 100,
        "names": {"en": "A prize"},
        **spec,
    }
    response = await client.put(f"/v1/admin/rewards/{reward_id}", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    return reward_id


async def test_many_members_race_for_the_last_item_and_exactly_one_wins(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    reward = await add_reward(client, stock=1)
    members = [await member_with(client, 150) for _ in range(12)]
    answers = await asyncio.gather(*(redeem(client, m, reward) for m in members))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 11
    assert all("out of stock" in a.json()["detail"] for a in answers if a.status_code == 409)
    left = [await available(client, m) for m in members]
    assert sorted(left) == [50] + [150] * 11
    report = (await client.get("/v1/admin/reconciliation", headers=ADMIN)).json()
    assert report["ok"] is True


async def test_a_voucher_is_used_once_and_a_retry_returns_the_same_voucher(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    member = await member_with(client, 1000)
    first = await redeem(client, member, "free-sourdough", key="app-order-1")
    retry = await redeem(client, member, "free-sourdough", key="app-order-1")
    assert (first.status_code, retry.status_code) == (201, 200)
    code = first.json()["voucher"]["code"]
    assert retry.json()["voucher"]["code"] == code
    assert await available(client, member) == 700
    used = await client.post(f"/v1/vouchers/{code}/use", json={"where": "store 12"}, headers=POS)
    again = await client.post(f"/v1/vouchers/{code}/use", json={"where": "store 3"}, headers=POS)
    assert used.json()["status"] == "used"
    assert again.status_code == 409
    assert "already used" in again.json()["detail"]
    assert "store 12" in again.json()["detail"]
    unknown = await client.post("/v1/vouchers/NOPE-NOPE-NOPE/use", json={"where": "x"}, headers=POS)
    assert unknown.status_code == 404


async def test_cancelling_an_unused_voucher_gives_the_points_and_the_stock_back(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    reward = await add_reward(client, stock=3, cost_points=400)
    member = await member_with(client, 1000)
    code = (await redeem(client, member, reward)).json()["voucher"]["code"]
    assert await available(client, member) == 600
    cancelled = await client.post(f"/v1/vouchers/{code}/cancel", headers=TILL)
    twice = await client.post(f"/v1/vouchers/{code}/cancel", headers=TILL)
    assert cancelled.json()["status"] == "cancelled"
    assert (twice.status_code, twice.json()) == (200, cancelled.json())  # a retry: the same
    assert await available(client, member) == 1000  # given back once
    entries = (await client.get(f"/v1/members/{member}/entries", headers=TILL)).json()
    assert [e["kind"] for e in entries["entries"]] == ["refund", "redeem", "adjust"]
    offers = (await client.get(f"/v1/members/{member}/rewards", headers=TILL)).json()
    assert next(o for o in offers if o["reward_id"] == reward)["stock_left"] == 3
    report = (await client.get("/v1/admin/reconciliation", headers=ADMIN)).json()
    assert report["ok"] is True


async def test_tier_gated_rewards_open_when_the_rules_announce_the_tier(
    served: tuple[httpx.AsyncClient, str], kafka_settings: KafkaSettings
) -> None:
    client, _ = served
    member = await member_with(client, 5000)
    refused = await redeem(client, member, "vip-evening")
    assert refused.status_code == 409
    assert "Silver members and above" in refused.json()["detail"]
    tier = new_event(
        id=uuid.uuid4().hex,
        source="pointstream/rules",
        type="member.tier_changed",
        subject=member,
        data={
            "member_id": member,
            "tier": "silver",
            "previous_tier": "base",
            "qualifying_points": 1200,
            "changed_at": datetime.now(UTC).isoformat(),
        },
    )
    await produce(
        kafka_settings, kafka_settings.topics.awards, tier.to_bytes(), key=member.encode()
    )

    async def offer() -> dict[str, Any]:
        offers = (await client.get(f"/v1/members/{member}/rewards", headers=TILL)).json()
        found: dict[str, Any] = next(o for o in offers if o["reward_id"] == "vip-evening")
        return found

    assert (await eventually(offer, lambda o: o["eligible"]))["reasons"] == []
    assert (await redeem(client, member, "vip-evening")).status_code == 201
    assert (await redeem(client, member, "vip-evening")).status_code == 409  # 1 per member


async def test_members_see_why_they_cannot_have_a_reward(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    member = await member_with(client, 250)  # a tree costs 100, a loaf 300
    offers = {
        o["reward_id"]: o
        for o in (await client.get(f"/v1/members/{member}/rewards?lang=da", headers=TILL)).json()
    }
    assert offers["plant-a-tree"]["eligible"] is True
    # In the member's language, as the reward's name is: no Danish page with English reasons.
    assert offers["free-sourdough"]["reasons"] == ["kræver 300 point, du har 250"]
    reasons = {r for o in offers.values() for r in o["reasons"]}
    assert "kræver 1.500 point, du har 250" in reasons  # numbers as Danish writes them
    assert "for Silver-medlemmer og derover" in reasons  # the tier as its name is written
    assert offers["free-sourdough"]["name"] == "Et gratis surdejsbrød"
    assert {o["kind"] for o in offers.values()} == {
        "discount_voucher",
        "free_product",
        "experience",
        "donation",
        "partner_reward",
    }


async def test_expired_vouchers_are_refunded_when_the_reward_says_so(
    served: tuple[httpx.AsyncClient, str], kafka_settings: KafkaSettings
) -> None:
    client, url = served
    refunded = await add_reward(client, refund_on_expiry=True, voucher_valid_days=1)
    kept = await add_reward(client, refund_on_expiry=False, voucher_valid_days=1)
    member = await member_with(client, 300)
    await redeem(client, member, refunded)
    await redeem(client, member, kept)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        later = datetime.now(UTC) + timedelta(days=2)
        policy = LedgerSettings().policy()
        expired = await expire_vouchers(
            sessions, uow_factory(sessions, kafka_settings), policy, now=later
        )
        again = await expire_vouchers(
            sessions, uow_factory(sessions, kafka_settings), policy, now=later
        )
    finally:
        await engine.dispose()
    assert (expired, again) == (2, 0)
    assert await available(client, member) == 200
    vouchers = (await client.get(f"/v1/members/{member}/vouchers", headers=TILL)).json()
    assert {v["status"] for v in vouchers} == {"expired"}


async def test_a_refused_redemption_is_refused_again_for_its_key_after_points_arrive(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    """The till's retry was told "not enough points"; a stale copy of its first request (a
    stalled replica's) arriving after points came is told the same, and spends nothing."""
    client, _ = served
    member = await member_with(client, 50)
    reward = await add_reward(client)
    told = await redeem(client, member, reward, key="till-7-receipt-1")
    assert told.status_code == 409, told.text
    await client.post(
        f"/v1/admin/members/{member}/adjustments",
        headers=ADMIN,
        json={"adjustment_id": uuid.uuid4().hex, "points": 100, "reason": "test points"},
    )
    again = await redeem(client, member, reward, key="till-7-receipt-1")
    assert (again.status_code, again.json()["detail"]) == (409, told.json()["detail"])
    assert await available(client, member) == 150
    assert (await redeem(client, member, reward, key="till-7-receipt-2")).status_code == 201
    assert await available(client, member) == 50
