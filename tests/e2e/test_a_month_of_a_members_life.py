"""A scripted month of one member's life through Kafka, the rules, the ledger and the inbox,
checked against the amounts the default rule pack defines."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import event_key
from tests.apps import ADMIN_KEY, POS_KEY, TILL_KEY
from tests.e2e.system import System
from tests.polling import eventually


def key(event: dict[str, Any]) -> str:
    """How the ledger names an event: its source and id as one key."""
    return event_key(event["source"], event["id"])


pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)


def event(member: str, days_ago: int, event_type: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{event_type}-{uuid.uuid4().hex[:8]}",
        "source": "pos/store-7",
        "type": event_type,
        "subject": member,
        "time": (NOW - timedelta(days=days_ago)).isoformat(),
        "data": data,
    }


def purchase(
    member: str, days_ago: int, channel: str, *lines: tuple[str, str, list[str]]
) -> dict[str, Any]:
    total = sum(float(price) for _, price, _ in lines)
    return event(
        member,
        days_ago,
        "purchase.completed",
        purchase_id=uuid.uuid4().hex,
        channel=channel,
        currency="DKK",
        total=f"{total:.2f}",
        lines=[
            {"sku": c, "category": c, "quantity": 1, "unit_price": p, "tags": t}
            for c, p, t in lines
        ],
    )


async def test_a_month_with_purchases_a_return_a_referral_a_complaint_and_a_birthday(
    system: System,
) -> None:
    m = f"month-{uuid.uuid4().hex[:8]}"
    pos, till = {"X-API-Key": POS_KEY}, {"X-API-Key": TILL_KEY}
    enrol = event(
        m,
        45,
        "member.enrolled",
        channel="app",
        language="sv",
        birthday=NOW.date().replace(year=1990).isoformat(),
    )
    p1 = purchase(m, 44, "app", ("dairy", "100.00", []), ("kitchen", "300.00", []))
    p2 = purchase(m, 40, "pos", ("kitchen", "700.00", ["local"]))
    p3 = purchase(m, 38, "pos", ("pantry", "200.00", []))
    async with httpx.AsyncClient(timeout=10) as client:

        async def balance() -> dict[str, Any]:
            r = await client.get(f"{system.urls['ledger']}/v1/members/{m}/balance", headers=till)
            result: dict[str, Any] = r.json()
            return result

        posted = await client.post(
            f"{system.urls['rules']}/v1/events", headers=pos, json=[enrol, p1, p2, p3]
        )
        assert posted.status_code == 202, posted.text
        # welcome 100; p1: base 400 + dairy 100 + app 20; p2: base 700 + local 5 (now silver:
        # 1325 points earned); p3: base 200 + silver 25% of it 50; and the birthday job's 100.
        await eventually(
            balance,
            lambda b: b["lifetime_earned"] == 100 + 520 + 705 + 250 + 100,
            timeout=60,
            what="the first weeks on the balance",
        )
        later = [
            event(
                m,
                35,
                "purchase.returned",
                return_id="r1",
                original_event_id=p2["id"],
                currency="DKK",
                amount="350.00",
            ),
            event(m, 30, "referral.completed", referred_member_id="friend-1"),
            event(m, 25, "complaint.resolved", complaint_id="c-9", severity="high"),
        ]
        posted = await client.post(f"{system.urls['rules']}/v1/events", headers=pos, json=later)
        assert posted.status_code == 202, posted.text
        # half of p2 returned: 350 of its base points and 3 of its 5 local points (half up)
        final = await eventually(
            balance,
            lambda b: b["lifetime_earned"] == 1675 - 353 + 350,
            timeout=60,
            what="the rest of the month",
        )
        entries = (
            await client.get(
                f"{system.urls['ledger']}/v1/members/{m}/entries?limit=200", headers=till
            )
        ).json()["entries"]
        report = (
            await client.get(
                f"{system.urls['ledger']}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
            )
        ).json()
    assert (final["available"], final["pending"]) == (1672, 0)  # windows long past
    assert Counter(e["kind"] for e in entries) == {"earn": 11, "reverse": 2}
    by_rule = Counter()  # type: Counter[str]
    for e in entries:
        by_rule[e["rule_id"]] += e["points"] if e["kind"] == "earn" else -e["points"]
    assert by_rule == {
        "base-earn": 950,
        "dairy-double": 100,
        "app-purchase": 20,
        "organic-local": 2,
        "silver-multiplier": 50,
        "welcome": 100,
        "referral": 200,
        "goodwill": 150,
        "birthday": 100,
    }
    birthday = next(e for e in entries if e["rule_id"] == "birthday")
    assert birthday["explanation"] == "grattis på födelsedagen!"
    assert report["ok"] is True


LAUNCH = {  # a web-shop campaign with a budget of 50 points for all members together
    "id": "web-launch",
    "name": "Web shop launch",
    "driver": "economic",
    "events": ["purchase.completed"],
    "condition": 'purchase.channel == "web"',
    "effect": {"type": "fixed", "points": 30},
    "caps": {"budget": 50},
    "explanation": {"en": "web shop launch", "da": "webshoppen åbner", "sv": "webbutiken öppnar"},
}


async def test_a_big_day_gold_from_the_next_basket_a_day_cap_a_spent_budget_a_full_return(
    system: System,
) -> None:
    """Worked out by hand from the default program's wording: 5,000 kroner of electronics
    (5,000 points + 100 for a basket over 1,000; the member is Gold from then on, 5,100 earned),
    then 1,200 kroner of dairy (1,200 + Gold's half 600 + dairy double capped at 500 a day +
    100 basket bonus), then 100 kroner of dairy (100 + 50; the dairy cap is used up). The web
    campaign's budget of 50 gives 30, then the 20 left, then nothing. The dairy basket is
    returned in full: every point it brought goes back, the cap and multiplier included."""
    m = f"gold-{uuid.uuid4().hex[:8]}"
    admin, pos = {"X-API-Key": ADMIN_KEY}, {"X-API-Key": POS_KEY}
    async with httpx.AsyncClient(timeout=10) as client:
        saved = await client.put(
            f"{system.urls['rules']}/v1/rules/web-launch", json=LAUNCH, headers=admin
        )
        assert saved.status_code == 200, saved.text
        try:
            q1 = purchase(m, 9, "web", ("electronics", "5000.00", []))
            q2 = purchase(m, 9, "web", ("dairy", "1200.00", []))
            q3 = purchase(m, 9, "web", ("dairy", "100.00", []))
            back = event(
                m,
                8,
                "purchase.returned",
                return_id="r-all",
                original_event_id=q2["id"],
                currency="DKK",
                amount="1200.00",
            )

            async def entries() -> list[dict[str, Any]]:
                r = await client.get(
                    f"{system.urls['ledger']}/v1/members/{m}/entries?limit=200",
                    headers={"X-API-Key": TILL_KEY},
                )
                return list(r.json()["entries"]) if r.status_code == 200 else []

            for sent in ([q1], [q2], [q3]):  # one at a time: the order is the story
                posted = await client.post(
                    f"{system.urls['rules']}/v1/events", headers=pos, json=sent
                )
                assert posted.status_code == 202, posted.text

            await eventually(  # a return is accepted once its purchase is booked
                entries, lambda e: key(q3) in {x["source_event_id"] for x in e}, what="q3"
            )
            posted = await client.post(f"{system.urls['rules']}/v1/events", headers=pos, json=back)
            assert posted.status_code == 202, posted.text
            found = await eventually(
                entries, lambda e: any(x["kind"] == "reverse" for x in e), what="the return booked"
            )
        finally:
            await client.put(
                f"{system.urls['rules']}/v1/rules/web-launch",
                json={**LAUNCH, "enabled": False},
                headers=admin,
            )
        earned = {
            (e["source_event_id"], e["rule_id"]): e["points"] for e in found if e["kind"] == "earn"
        }
        assert earned == {
            (key(q1), "base-earn"): 5000,
            (key(q1), "big-basket"): 100,
            (key(q1), "web-launch"): 30,
            (key(q2), "base-earn"): 1200,
            (key(q2), "gold-multiplier"): 600,
            (key(q2), "dairy-double"): 500,
            (key(q2), "big-basket"): 100,
            (key(q2), "web-launch"): 20,
            (key(q3), "base-earn"): 100,
            (key(q3), "gold-multiplier"): 50,
        }
        taken = {e["rule_id"]: e["points"] for e in found if e["kind"] == "reverse"}
        assert taken == {
            "base-earn": 1200,
            "gold-multiplier": 600,
            "dairy-double": 500,
            "big-basket": 100,
            "web-launch": 20,
        }
        balance = (
            await client.get(
                f"{system.urls['ledger']}/v1/members/{m}/balance", headers={"X-API-Key": TILL_KEY}
            )
        ).json()
        # Bought 9 days ago: purchase points wait out the 14-day return window; the campaign's
        # do not (the rule sets no pending days).
        assert (balance["available"], balance["pending"], balance["held"]) == (30, 5250, 0)
        assert (balance["lifetime_earned"], balance["lifetime_redeemed"]) == (5280, 0)
