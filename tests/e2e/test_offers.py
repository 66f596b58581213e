"""A win-back offer, end to end on Kafka and PostgreSQL with the three services: an audience of
members who have not bought for 60 days fills as time passes; the offer, with a 20 % control
group, reaches the treated only (a message in their language, the offer in their wallet,
activated there); their next purchase books its points once, under the offer's name; the
control group gets nothing; the lift counts both groups as the test's own oracle does."""

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import CloudEvent, new_event
from tests.apps import ADMIN_KEY, ANALYST_KEY, READER_KEY
from tests.e2e.system import System, enrolment
from tests.polling import eventually

pytestmark = pytest.mark.e2e
ADMIN = {"X-API-Key": ADMIN_KEY}
SHARE = 0.2
LANGUAGES = ("da", "sv", "en")
TITLES = {
    "da": "Et nyt tilbud til dig: Velkommen tilbage",
    "sv": "Ett nytt erbjudande till dig: Välkommen tillbaka",
    "en": "A new offer for you: Welcome back",
}
# What the member reads for the offer's points in the ledger, in their language.
EXPLAINED = {
    "da": "250 ekstra point: tilbuddet Velkommen tilbage",
    "sv": "250 extra poäng: erbjudandet Välkommen tillbaka",
    "en": "250 extra points: the offer Welcome back",
}


def in_control(member: str, offer_id: str) -> bool:
    """The contract's control group (its hash below the share), computed apart from the code."""
    digest = hashlib.sha256(f"{offer_id}\x00{member}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < SHARE


def purchase(member: str, at: datetime, total: str, n: int) -> CloudEvent:
    return new_event(
        id=f"offer-{member}-{n}",
        source="pos/offers",
        type="purchase.completed",
        subject=member,
        time=at,
        data={
            "purchase_id": f"r-{member}-{n}",
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": [{"sku": "oats", "category": "pantry", "quantity": 1, "unit_price": total}],
        },
    )


async def test_a_win_back_offer_reaches_treated_members_once_and_the_lift_counts_both_groups(
    system: System, member_token: Callable[[str], str]
) -> None:
    run = uuid.uuid4().hex[:6]
    rules, ledger, notes = (system.urls[s] for s in ("rules", "ledger", "notifications"))
    offer_id, audience = f"winback-{run}", f"lapsing-{run}"
    members = [f"wb-{run}-{n:02d}" for n in range(30)]
    language = {m: LANGUAGES[n % 3] for n, m in enumerate(members)}
    late = members[:3]  # their last purchase turns 60 days old 25 s into the test
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=30, headers=ADMIN) as admin:
        r = await admin.put(
            f"{rules}/v1/audiences/{audience}",
            json={
                "id": audience,
                "name": "Lapsing",
                "condition": f'member.id.startsWith("wb-{run}-") && member.purchases_total > 0 '
                "&& member.days_since_last_purchase >= 60",
            },
        )
        assert r.status_code == 200, r.text
        r = await admin.put(
            f"{rules}/v1/offers/{offer_id}",
            json={
                "id": offer_id,
                "name": {
                    "en": "Welcome back",
                    "da": "Velkommen tilbage",
                    "sv": "Välkommen tillbaka",
                },
                "audience": audience,
                "effect": {"type": "fixed", "points": 250},
                "per_member_limit": 250,
                "activation": "clip",
                "control_share": str(SHARE),
            },
        )
        assert r.status_code == 200, r.text
        await system.send(
            [enrolment(m, language=language[m]) for m in members]
            + [
                purchase(m, now - timedelta(days=60, seconds=-25 if m in late else 3600), "100", 0)
                for m in members
            ]
        )

        async def lapsing() -> set[str]:
            found = (await admin.get(f"{rules}/v1/audiences/{audience}?sample=100")).json()
            return {m["member_id"] for m in found["sample"]}

        await eventually(lapsing, lambda got: got >= set(members) - set(late), what="lapsing")
        if datetime.now(UTC) < now + timedelta(seconds=22):  # (not yet 60 days for the late)
            assert await lapsing() == set(members) - set(late)

        # Time passes: 25 s on, the daily pass (run now) moves the three whose purchase
        # turned 60 days old.
        async def refreshed() -> set[str]:
            assert (await admin.post(f"{rules}/v1/audiences/refresh")).status_code == 200
            return await lapsing()

        await eventually(
            refreshed, lambda got: got == set(members), what="late ones lapsing", timeout=60
        )

    treated = [m for m in members if not in_control(m, offer_id)]
    control = [m for m in members if in_control(m, offer_id)]
    assert treated
    assert control

    def app(member: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=10, headers={"Authorization": f"Bearer {member_token(member)}"}
        )

    async def titles(member: str) -> list[str]:
        async with app(member) as http:
            inbox = (await http.get(f"{notes}/v1/members/{member}/inbox")).json()["messages"]
        return [m["title"] for m in inbox if m["kind"] == "offer_granted"]

    async def everyone_told() -> dict[str, list[str]]:
        return {m: await titles(m) for m in treated}

    told = await eventually(
        everyone_told, lambda got: all(got.values()), what="treated members told", timeout=60
    )
    assert told == {m: [TITLES[language[m]]] for m in treated}
    for member in control:
        assert await titles(member) == []
        async with app(member) as http:
            assert (await http.get(f"{rules}/v1/members/{member}/offers")).json() == []
            r = await http.post(f"{rules}/v1/members/{member}/offers/{offer_id}/activation")
            assert r.status_code == 409
    for member in treated:
        async with app(member) as http:
            wallet = (await http.get(f"{rules}/v1/members/{member}/offers")).json()
            assert [(o["id"], o["activated"], o["points_left"]) for o in wallet] == [
                (offer_id, False, 250)
            ]
            r = await http.post(f"{rules}/v1/members/{member}/offers/{offer_id}/activation")
            assert r.status_code == 202, r.text

    async def activated() -> int:
        n = 0
        for member in treated:
            async with app(member) as http:
                wallet = (await http.get(f"{rules}/v1/members/{member}/offers")).json()
                n += bool(wallet and wallet[0]["activated"])
        return n

    await eventually(activated, lambda n: n == len(treated), what="activations")
    # Everyone comes back: two thirds buy (one of them twice, the receipt re-sent too).
    today = datetime.now(UTC)
    buyers = members[::3] + members[1::3]
    again = [purchase(m, today, "80.00", 1) for m in buyers]
    again += [purchase(m, today, "40.00", 2) for m in buyers[:4]]
    await system.send(again + again[:5])

    # The oracle: from what was sent.
    spend = {m: Decimal(0) for m in members}
    bought = dict.fromkeys(members, 0)
    for event in again:
        spend[event.subject] += Decimal(event.data["total"])
        bought[event.subject] += 1
    offer_points = {m: 250 if m in treated and bought[m] else 0 for m in members}

    async def entries(member: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as c:
            page = (await c.get(f"{ledger}/v1/members/{member}/entries")).json()
        return [e for e in page["entries"] if e["rule_id"] == f"offer:{offer_id}"]

    async def booked() -> dict[str, int]:
        return {m: sum(e["points"] for e in await entries(m)) for m in members}

    await eventually(booked, lambda got: got == offer_points, what="offer points", timeout=90)
    for member in treated:
        if bought[member]:
            [entry] = await entries(member)
            assert entry["kind"] == "earn"
            assert entry["explanation"] == EXPLAINED[language[member]]

    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": ANALYST_KEY}) as analyst:

        async def lift() -> dict[str, Any]:
            found: dict[str, Any] = (await analyst.get(f"{rules}/v1/offers/{offer_id}/lift")).json()
            return found

        total = sum(bought.values())
        report = await eventually(
            lift,
            lambda got: (
                sum(g["purchases_per_member"] * g["members"] for g in got["groups"].values())
                == pytest.approx(total)
            ),
            what="every purchase in the lift",
        )
    for name, group in (("treated", treated), ("control", control)):
        figures = report["groups"][name]
        assert figures["members"] == len(group)
        assert figures["bought"] == sum(1 for m in group if bought[m])
        assert figures["purchases_per_member"] == pytest.approx(
            sum(bought[m] for m in group) / len(group)
        )
        assert figures["spend_per_member"] == pytest.approx(
            float(sum(spend[m] for m in group) / len(group))
        )
        assert figures["points"] == sum(offer_points[m] for m in group)
    # A draft rule replayed over the history (in the service's worker processes): 3 points
    # per 10 DKK of these members' purchases, as the oracle sums what was sent.
    draft = {
        "id": f"draft-{run}",
        "name": "Draft",
        "driver": "economic",
        "events": ["purchase.completed"],
        "condition": f'member.id.startsWith("wb-{run}-")',
        "effect": {"type": "points_per_amount", "points": 3, "per": 10},
        "explanation": {"en": "draft"},
    }
    async with httpx.AsyncClient(timeout=60, headers=ADMIN) as admin:
        r = await admin.post(f"{rules}/v1/rules/draft-{run}/replay?days=90", json=draft)
    assert r.status_code == 200, r.text
    sent = [Decimal(100)] * len(members) + [Decimal(e.data["total"]) for e in again]
    assert r.json()["draft"]["points"] == sum(int(t * 3 / 10) for t in sent)
    assert r.json()["draft"]["members"] == len(members)
    share = report["lift"]["repeat_purchase_share"]
    expected = sum(1 for m in treated if bought[m]) / len(treated) - sum(
        1 for m in control if bought[m]
    ) / len(control)
    assert share["difference"] == pytest.approx(expected)
    assert share["low"] < share["difference"] < share["high"]
