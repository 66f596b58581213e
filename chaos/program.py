"""The program a chaos run runs: the default pack and catalogue, plus what the newer features
promise and the oracle checks — exchange rates for the foreign currencies the tills take, an
audience and a clip-offer with a control group and a budget, a challenge with a badge, and
the partner who funds the pack's partner-coffee rule. Set through the rules' admin API, as a
manager's console would."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests import apps

RATES = {"SEK": Decimal("0.6602"), "EUR": Decimal("7.4581")}  # DKK for one unit
OFFER = "welcome-back"  # the offer the workload's clips name
OFFER_POINTS, OFFER_BUDGET, CONTROL_SHARE = 50, 6_000, Decimal("0.3")
CHALLENGE, CHALLENGE_TARGET, CHALLENGE_POINTS = "organic-three", 3, 60
PARTNER = "nordic-coffee-co"  # who funds the pack's partner-coffee rule


def specs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "/v1/audiences/regulars",
            {
                "id": "regulars",
                "name": "Regulars",
                "condition": "member.purchases_total >= 3",
            },
        ),
        (
            f"/v1/offers/{OFFER}",
            {
                "id": OFFER,
                "name": {"en": "Welcome back", "da": "Velkommen tilbage", "sv": "Välkommen åter"},
                "audience": "regulars",
                "effect": {"type": "fixed", "points": OFFER_POINTS},
                "per_member_limit": OFFER_POINTS,
                "budget": OFFER_BUDGET,
                "activation": "clip",
                "control_share": str(CONTROL_SHARE),
            },
        ),
        (
            f"/v1/challenges/{CHALLENGE}",
            {
                "id": CHALLENGE,
                "name": {"en": "Three organic baskets", "da": "Tre økologiske kurve"},
                "description": {"en": "Buy something organic three times"},
                "goal": "count",
                "target": CHALLENGE_TARGET,
                "condition": '"organic" in purchase.tags',
                "points": CHALLENGE_POINTS,
                "badge": {"id": "green", "name": {"en": "Green", "da": "Grøn"}, "icon": "*"},
            },
        ),
        (
            f"/v1/partners/{PARTNER}",
            {"id": PARTNER, "name": "Nordic Coffee Co", "events": ["purchase.completed"]},
        ),
    ]


async def set_up(rules: str, first: date, last: date) -> None:
    """The program above, and a rate per currency for every day from ``first`` to ``last``."""
    headers = {"X-API-Key": apps.ADMIN_KEY}
    async with httpx.AsyncClient(timeout=30, headers=headers) as admin:
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        rates = [
            {"currency": c, "day": d.isoformat(), "rate": str(r)}
            for d in days
            for c, r in RATES.items()
        ]
        r = await admin.put(f"{rules}/v1/exchange-rates", json={"rates": rates})
        r.raise_for_status()
        for path, spec in specs():
            r = await admin.put(f"{rules}{path}", json=spec)
            if r.status_code != 200:
                raise RuntimeError(f"PUT {path}: {r.status_code} {r.text}")
