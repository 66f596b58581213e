"""An offer of a cheaper reward, end to end: members of an audience who are not in its
control group see a sourdough loaf for 100 points instead of 300 and redeem it at that price;
the control group pays the catalogue's price (and, with 100 points, cannot)."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.apps import ADMIN_KEY, TILL_KEY
from tests.e2e.system import System, enrolment
from tests.polling import eventually

pytestmark = pytest.mark.e2e
SHARE = 0.3


def _both_groups(run: str) -> bool:
    """Whether the run's ten members fall in both groups (0.7**10: 3 % of runs would not)."""
    kept = [in_control(f"rp-{run}-{n}", f"bread-deal-{run}") for n in range(10)]
    return any(kept) and not all(kept)


def in_control(member: str, offer_id: str) -> bool:
    digest = hashlib.sha256(f"{offer_id}\x00{member}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < SHARE


async def test_a_cheaper_reward_reaches_the_treated_members_and_is_redeemed_at_that_price(
    system: System,
) -> None:
    run = next(r for r in (uuid.uuid4().hex[:6] for _ in range(100)) if _both_groups(r))
    rules, ledger = system.urls["rules"], system.urls["ledger"]
    offer_id = f"bread-deal-{run}"
    members = [f"rp-{run}-{n}" for n in range(10)]
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": ADMIN_KEY}) as admin:
        r = await admin.put(
            f"{rules}/v1/audiences/new-{run}",
            json={
                "id": f"new-{run}",
                "name": "New members",
                "condition": f'member.id.startsWith("rp-{run}-") && member.tenure_days < 30',
            },
        )
        assert r.status_code == 200, r.text
        offer = {
            "id": offer_id,
            "name": {"en": "Bread for 100", "da": "Brød for 100"},
            "audience": f"new-{run}",
            "effect": {"type": "reward_price", "reward_id": "free-sourdough", "points": 100},
            "control_share": str(SHARE),
            "active_until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        }
        clipped = await admin.put(
            f"{rules}/v1/offers/{offer_id}", json={**offer, "activation": "clip"}
        )
        assert clipped.status_code == 422  # a cheaper reward applies by itself
        assert "applies by itself" in clipped.text
        r = await admin.put(f"{rules}/v1/offers/{offer_id}", json=offer)
        assert r.status_code == 200, r.text
        replayed = await admin.post(f"{rules}/v1/offers/{offer_id}/replay", json=offer)
        assert replayed.status_code == 422  # no points to replay
        await system.send([enrolment(m, language="da") for m in members])
        # The welcome's 100 points are available at once.

    async def prices() -> dict[str, tuple[int, bool]]:
        found = {}
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": TILL_KEY}) as till:
            for member in members:
                listed = (await till.get(f"{ledger}/v1/members/{member}/rewards")).json()
                bread = next(r for r in listed if r["reward_id"] == "free-sourdough")
                found[member] = (bread["cost_points"], bread["eligible"])
        return found

    expected = {m: (300, False) if in_control(m, offer_id) else (100, True) for m in members}
    assert any(in_control(m, offer_id) for m in members)
    assert not all(in_control(m, offer_id) for m in members)
    await eventually(prices, lambda got: got == expected, what="the members' prices", timeout=60)
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": TILL_KEY}) as till:
        for member in members:
            r = await till.post(
                f"{ledger}/v1/members/{member}/redemptions",
                json={"reward_id": "free-sourdough"},
                headers={"Idempotency-Key": f"bread-{member}"},
            )
            if in_control(member, offer_id):
                assert r.status_code == 409, r.text  # 300 points, and they have 100
            else:
                assert r.status_code == 201, r.text
                assert r.json()["points"] == 100
                assert r.json()["balance"]["available"] == 0
