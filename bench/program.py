"""The bench's program: the default pack, plus two audiences, an offer and a challenge (what
the audiences and challenges issues ask the bench to carry), so features are measured switched
on (the loyalty ladder's default stages are always on)."""

import httpx

from bench.system import API_KEY

AUDIENCES = [
    {
        "id": "regulars",
        "name": "Regulars",
        "condition": "member.purchases_90d >= 3",
    },
    {
        "id": "big-baskets",
        "name": "Big baskets",
        "condition": "member.avg_basket_365d >= 500 && member.rfm.m >= 4",
    },
]
OFFER = {
    "id": "bakery-boost",
    "name": {"en": "Bakery boost", "da": "Bagerbonus", "sv": "Bagerbonus"},
    "audience": "regulars",
    "effect": {"type": "points_per_amount", "points": 2, "lines": 'line.category == "bakery"'},
    "control_share": "0.1",
}

CHALLENGE = {
    "id": "three-weeks",
    "name": {"en": "Three weeks in a row", "da": "Tre uger i træk", "sv": "Tre veckor i rad"},
    "goal": "weeks_in_a_row",
    "target": 3,
    "points": 100,
    "badge": {"id": "regular", "name": {"en": "Regular", "da": "Stamkunde", "sv": "Stamkund"}},
    "nudge": True,
}


async def load_offers(rules_url: str) -> None:
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": API_KEY}) as client:
        for audience in AUDIENCES:
            r = await client.put(f"{rules_url}/v1/audiences/{audience['id']}", json=audience)
            r.raise_for_status()
        r = await client.put(f"{rules_url}/v1/offers/{OFFER['id']}", json=OFFER)
        r.raise_for_status()
        r = await client.put(f"{rules_url}/v1/challenges/{CHALLENGE['id']}", json=CHALLENGE)
        r.raise_for_status()
