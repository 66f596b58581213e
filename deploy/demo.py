"""`make demo`: post a small day of purchases to a running system, then show what members see;
then an audience of lapsing members and a win-back offer for them, with a control group; then a
challenge with a badge, and the loyalty ladder.

Uses the development API key (``DEMO_API_KEY``, default ``dev-key``) against the default ports.
"""

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import httpx
from demo_challenge import streak

RULES = os.environ.get("DEMO_RULES_URL", "http://127.0.0.1:8001")
LEDGER = os.environ.get("DEMO_LEDGER_URL", "http://127.0.0.1:8002")
NOTIFICATIONS = os.environ.get("DEMO_NOTIFICATIONS_URL", "http://127.0.0.1:8003")
HEADERS = {"X-API-Key": os.environ.get("DEMO_API_KEY", "dev-key")}

DAY = [  # (member, channel, total, basket)
    ("anna", "pos", "412.50", [("rye-bread", "bakery", "32.50"), ("coffee", "pantry", "380.00")]),
    ("bjorn", "web", "89.95", [("tea", "pantry", "89.95")]),
    ("anna", "app", "45.00", [("apples", "produce", "45.00")]),
    ("carla", "pos", "1299.00", [("kettle", "kitchen", "1299.00")]),
    ("dagny", "pos", "12.75", [("milk", "dairy", "12.75")]),
    ("bjorn", "pos", "230.40", [("cheese", "dairy", "130.40"), ("wine", "drinks", "100.00")]),
    ("carla", "web", "0.80", [("bag", "misc", "0.80")]),
]


def purchase(
    run: str, n: int, member: str, channel: str, total: str, basket: list[tuple[str, str, str]]
) -> dict[str, object]:
    # The day just passed: a shop's last hours up to now, never in the future (the program
    # report counts up to now).
    at = datetime.now(UTC) - timedelta(minutes=73 * (len(DAY) - n))
    return {
        "specversion": "1.0",
        "id": f"demo-{run}-{n}",
        "source": f"{channel}/demo-store",
        "type": "purchase.completed",
        "time": at.isoformat(),
        "subject": f"demo-{run}-{member}",
        "data": {
            "purchase_id": f"receipt-{run}-{n}",
            "channel": channel,
            "currency": "DKK",
            "total": total,
            "lines": [
                {"sku": sku, "category": cat, "quantity": 1, "unit_price": price}
                for sku, cat, price in basket
            ],
        },
    }


async def main() -> int:
    run = uuid.uuid4().hex[:6]
    anna = f"demo-{run}-anna"
    enrolment = {
        "specversion": "1.0",
        "id": f"demo-{run}-enrol",
        "source": "app/demo",
        "type": "member.enrolled",
        "time": (datetime.now(UTC) - timedelta(minutes=73 * len(DAY) + 30)).isoformat(),
        "subject": anna,
        "data": {"channel": "app", "language": "da"},
    }
    events = [enrolment] + [purchase(run, n, *row) for n, row in enumerate(DAY)]
    expected: dict[str, tuple[int, int]] = {anna: (100, 1)}  # member -> (points, messages)
    for e in events[1:]:
        total = Decimal(str(e["data"]["total"]))  # type: ignore[index]
        points = int(total.to_integral_value(ROUND_FLOOR))
        old_points, old_messages = expected.get(str(e["subject"]), (0, 0))
        expected[str(e["subject"])] = (old_points + points, old_messages + (points > 0))
    async with httpx.AsyncClient(timeout=10, headers=HEADERS) as client:
        response = await client.post(f"{RULES}/v1/events", json=events)
        if response.status_code != 202:
            print(f"ingest refused the day: {response.status_code} {response.text}")
            return 1
        print(f"posted {len(events)} purchases for {len(expected)} members (run {run})\n")
        deadline = time.monotonic() + 30
        for member, (points, messages) in expected.items():
            while True:
                balance = (await client.get(f"{LEDGER}/v1/members/{member}/balance")).json()
                inbox = (await client.get(f"{NOTIFICATIONS}/v1/members/{member}/inbox")).json()
                entries = (await client.get(f"{LEDGER}/v1/members/{member}/entries")).json()
                earned = [e for e in entries["entries"] if e["kind"] == "earn"]
                # one message per earning, once every rule's award has reached the ledger
                settled = balance["lifetime_earned"] >= points and len(inbox["messages"]) >= max(
                    messages, len(earned)
                )
                if settled or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            print(
                f"{member}: {balance['available']} points available "
                f"({balance['pending']} pending, {balance['lifetime_earned']} earned in all)"
            )
            for message in inbox["messages"]:
                print(f"    inbox: {message['title']} - {message['body']}")
        # Anna spends her welcome points on a reward from the catalogue.
        redeemed = await client.post(
            f"{LEDGER}/v1/members/{anna}/redemptions",
            json={"reward_id": "plant-a-tree"},
            headers={**HEADERS, "Idempotency-Key": f"demo-{run}"},
        )
        if redeemed.status_code != 201:
            print(f"\nthe redemption was refused: {redeemed.text}")
            return 1
        body = redeemed.json()
        print(
            f"\n{anna} redeemed 'plant-a-tree' for {body['points']} points: voucher "
            f"{body['voucher']['code']}, {body['balance']['available']} points left"
        )
        return await win_back(client, run) or await streak(
            client, run, RULES, LEDGER, NOTIFICATIONS
        )


LAPSING = {
    "id": "lapsing",
    "name": "Lapsing",
    "description": "Bought before, but not in the last 60 days",
    "condition": "member.purchases_total > 0 && member.days_since_last_purchase >= 60",
}
WIN_BACK = {
    "id": "welcome-back",
    "name": {"en": "Welcome back", "da": "Velkommen tilbage", "sv": "Välkommen tillbaka"},
    "description": {
        "en": "150 extra points on your next purchase",
        "da": "150 ekstra point på dit næste køb",
        "sv": "150 extra poäng på ditt nästa köp",
    },
    "audience": "lapsing",
    "effect": {"type": "fixed", "points": 150},
    "per_member_limit": 150,
    "control_share": "0.2",
}
LAPSED = (("erik", "sv"), ("freja", "da"), ("gustav", "sv"), ("hanne", "da"), ("ida", "en"))


async def win_back(client: httpx.AsyncClient, run: str) -> int:
    """Members who have not bought for 75 days: the audience takes them, the offer reaches
    all but its control group, and their next purchase earns it (once)."""
    for path, spec in (("audiences/lapsing", LAPSING), ("offers/welcome-back", WIN_BACK)):
        saved = await client.put(f"{RULES}/v1/{path}", json=spec)
        if saved.status_code != 200:
            print(f"\nsaving {path} was refused: {saved.text}")
            return 1
    members = [(f"demo-{run}-{name}", language) for name, language in LAPSED]
    long_ago = datetime.now(UTC) - timedelta(days=75)
    events = []
    for n, (member, language) in enumerate(members):
        events.append(
            {
                "specversion": "1.0",
                "id": f"demo-{run}-lapsed-{n}",
                "source": "pos/demo-store",
                "type": "member.enrolled",
                "time": (long_ago - timedelta(days=1)).isoformat(),
                "subject": member,
                "data": {"channel": "pos", "language": language},
            }
        )
        old = purchase(run, 100 + n, "x", "pos", "150.00", [("coffee", "pantry", "150.00")])
        events.append({**old, "subject": member, "time": long_ago.isoformat()})
    sent = await client.post(f"{RULES}/v1/events", json=events)
    if sent.status_code != 202:
        print(f"\nthe lapsed members' purchases were refused: {sent.text}")
        return 1
    print("\nAudience 'lapsing' (no purchase for 60 days), offer 'welcome-back' (20 % kept back):")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = (await client.get(f"{RULES}/v1/audiences/lapsing?sample=100")).json()
        inside = {m["member_id"] for m in found["sample"]}
        if all(member in inside for member, _ in members):
            break
        await asyncio.sleep(0.3)
    offered = {}
    for member, _ in members:
        mine = (await client.get(f"{RULES}/v1/members/{member}/offers")).json()
        offered[member] = bool(mine)
        print(f"  {member}: " + (f"has the offer '{mine[0]['name']}'" if mine else "kept back"))
    today = [
        {
            **purchase(run, 200 + n, "x", "pos", "60.00", [("milk", "dairy", "60.00")]),
            "subject": member,
            "time": datetime.now(UTC).isoformat(),
        }
        for n, (member, _) in enumerate(members)
    ]
    sent = await client.post(f"{RULES}/v1/events", json=today)
    if sent.status_code != 202:
        print(f"\nthe purchases were refused: {sent.text}")
        return 1
    deadline = time.monotonic() + 30
    for member, _ in members:
        while True:
            entries = (await client.get(f"{LEDGER}/v1/members/{member}/entries")).json()
            earned = [e for e in entries["entries"] if e["rule_id"] == "offer:welcome-back"]
            if earned or not offered[member] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        if not offered[member]:
            earned = [e for e in entries["entries"] if e["rule_id"] == "offer:welcome-back"]
        said = earned[0]["explanation"] if earned else "nothing from the offer"
        print(f"  {member} came back: {said}")
    lift = (await client.get(f"{RULES}/v1/offers/welcome-back/lift")).json()
    groups = lift["groups"]
    print(
        f"  lift so far: {groups['treated']['members']} treated, "
        f"{groups['control']['members']} kept back (the console's offer page draws it)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
