"""`make demo`, last part: a challenge (shop three weeks in a row) with a badge; a member who
shops in three weeks in a row completes it, once, and reads about it in Danish; and where the
demo's members stand on the loyalty ladder."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx

STREAK = {
    "id": "three-weeks",
    "name": {"en": "Three weeks in a row", "da": "Tre uger i træk", "sv": "Tre veckor i rad"},
    "description": {
        "en": "Shop in three weeks in a row",
        "da": "Handl tre uger i træk",
        "sv": "Handla tre veckor i rad",
    },
    "goal": "weeks_in_a_row",
    "target": 3,
    "points": 100,
    "badge": {"id": "regular", "name": {"en": "Regular", "da": "Stamkunde", "sv": "Stamkund"}},
    "nudge": True,
}


async def streak(client: httpx.AsyncClient, run: str, rules: str, ledger: str, inbox: str) -> int:
    saved = await client.put(f"{rules}/v1/challenges/three-weeks", json=STREAK)
    if saved.status_code != 200:
        print(f"\nsaving the challenge was refused: {saved.text}")
        return 1
    member = f"demo-{run}-jonas"
    now = datetime.now(UTC)
    events: list[dict[str, object]] = [
        {
            "specversion": "1.0",
            "id": f"demo-{run}-jonas-enrol",
            "source": "app/demo",
            "type": "member.enrolled",
            "time": (now - timedelta(days=15)).isoformat(),
            "subject": member,
            "data": {"channel": "app", "language": "da"},
        }
    ]
    for n, days in enumerate((14, 7, 0)):
        events.append(
            {
                "specversion": "1.0",
                "id": f"demo-{run}-jonas-{n}",
                "source": "pos/demo-store",
                "type": "purchase.completed",
                "time": (now - timedelta(days=days)).isoformat(),
                "subject": member,
                "data": {
                    "purchase_id": f"receipt-{run}-jonas-{n}",
                    "channel": "pos",
                    "currency": "DKK",
                    "total": "95.00",
                    "lines": [
                        {
                            "sku": "coffee",
                            "category": "pantry",
                            "quantity": 1,
                            "unit_price": "95.00",
                        }
                    ],
                },
            }
        )
    sent = await client.post(f"{rules}/v1/events", json=events)
    if sent.status_code != 202:
        print(f"\nthe purchases were refused: {sent.text}")
        return 1
    print(
        "\nChallenge 'three-weeks' (shop three weeks in a row: 100 points and the badge Regular):"
    )
    deadline = time.monotonic() + 30
    while True:
        mine = (await client.get(f"{rules}/v1/members/{member}/challenges")).json()
        if mine.get("badges") or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    for challenge in mine.get("challenges", []):
        done = f"{challenge['progress']} of {challenge['target']} weeks"
        print(f"  {member}: '{challenge['name']}' (in Danish, the member's language): {done}")
    for badge in mine.get("badges", []):
        print(f"  {member} earned the badge {badge['icon']} {badge['name']}")
    while time.monotonic() < deadline:
        messages = (await client.get(f"{inbox}/v1/members/{member}/inbox")).json()["messages"]
        told = [m for m in messages if m["kind"] == "challenge_completed"]
        if told:
            print(f"    inbox: {told[0]['title']} - {told[0]['body']}")
            break
        await asyncio.sleep(0.3)
    ladder = (await client.get(f"{rules}/v1/ladder")).json()
    print("\nThe loyalty ladder now (the console's Ladder page draws who moved):")
    for stage in ladder["stages"]:
        n = stage["members"]
        print(f"  {stage['name']['en']}: {n} member{'' if n == 1 else 's'}")
    return 0
