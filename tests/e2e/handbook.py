"""The default program as its handbook states it, written from the pack's wording and not
from pointstream's code: the independent oracle the distributed runs are checked against.

It knows only what the random streams of :mod:`tests.e2e.oracle` contain (purchases of
single units with tags and a channel, repeats, partial returns, all in one currency) and the
default rules that apply to them:

- 1 point per krone paid, rounded down ("base-earn");
- 1 more point per krone spent on dairy, rounded down, at most 500 a day ("dairy-double");
- 100 points for a basket of 1,000 kroner or more ("big-basket");
- Silver members get a quarter, Gold members half of their base points again, rounded down,
  for the tier they had before the purchase ("silver-multiplier", "gold-multiplier");
- 10 points per partner coffee ("partner-coffee");
- 20 points for buying in the app, at most 20 a day ("app-purchase");
- 75 points for the 5th purchase in a calendar month ("fifth-visit");
- 40 points for a basket across 3 or more categories ("three-categories");
- 5 points per organic or local item, at most 100 a day ("organic-local");
- a member is Silver from 1,000 and Gold from 5,000 points earned in the last 12 calendar
  months (never down between anniversaries);
- a return takes back each rule's share of the purchase in proportion to the amount returned
  so far (half up), and what it takes back counts against the day and month it happens in.

Days and months are UTC calendar days and months of the event's time.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from shared.contracts.envelope import CloudEvent

DAY_CAPS = {"dairy-double": 500, "app-purchase": 20, "organic-local": 100}
SILVER, GOLD = 1000, 5000


@dataclass
class _Member:
    tier: str = "base"
    purchases_in_month: Counter[str] = field(default_factory=Counter)
    earned_in_month: Counter[str] = field(default_factory=Counter)
    day_used: dict[str, tuple[str, int]] = field(default_factory=dict)  # rule -> (day, points)

    def used_today(self, rule: str, day: str) -> int:
        used_day, points = self.day_used.get(rule, ("", 0))
        return points if used_day == day else 0

    def count(self, rule: str, points: int, moment: datetime) -> None:
        day = moment.date().isoformat()
        self.day_used[rule] = (day, self.used_today(rule, day) + points)
        self.earned_in_month[_month(moment)] += points

    def qualifying(self, moment: datetime) -> int:
        year, month = moment.year, moment.month
        months = []
        for _ in range(12):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return sum(self.earned_in_month[m] for m in months)


@dataclass
class _Bought:
    member: str
    paid: Fraction
    shares: dict[str, int]
    returned: Fraction = Fraction(0)
    taken: dict[str, int] = field(default_factory=dict)


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _half_up(value: Fraction) -> int:
    return int(Decimal(value.numerator / Decimal(value.denominator)).quantize(0, ROUND_HALF_UP))


def earned_for(member: _Member, data: dict[str, Any], moment: datetime) -> dict[str, int]:
    """What one purchase earns, rule by rule, before the member's day caps."""
    lines = data["lines"]
    paid = Fraction(str(data["total"]))
    gross = sum(
        (Fraction(str(ln["unit_price"])) * int(ln["quantity"]) for ln in lines), Fraction(0)
    )
    dairy = sum(
        (Fraction(str(ln["unit_price"])) for ln in lines if ln["category"] == "dairy"),
        Fraction(0),
    )
    tags = [set(ln["tags"]) for ln in lines]
    base = math.floor(paid)
    points = {
        "base-earn": base,
        "big-basket": 100 if paid >= 1000 else 0,
        "partner-coffee": 10 * sum("partner-coffee" in t for t in tags),
        "app-purchase": 20 if data["channel"] == "app" else 0,
        "fifth-visit": 75 if member.purchases_in_month[_month(moment)] == 5 else 0,
        "three-categories": 40 if len({ln["category"] for ln in lines}) >= 3 else 0,
        "organic-local": 5 * sum(bool(t & {"organic", "local"}) for t in tags),
    }
    if dairy:
        points["dairy-double"] = math.floor(paid * dairy / gross) if gross else 0
    if member.tier == "silver":
        points["silver-multiplier"] = math.floor(Fraction(base, 4))
    elif member.tier == "gold":
        points["gold-multiplier"] = math.floor(Fraction(base, 2))
    return points


def handbook_expected(
    events: list[CloudEvent], seen_cases: Counter[str] | None = None
) -> tuple[dict[str, int], Counter[str]]:
    """Net points per member and how many of their purchases earned anything. ``seen_cases``
    counts what the stream exercised: each rule awarded or cut by a cap, tiers, take-backs."""
    cases: Counter[str] = Counter() if seen_cases is None else seen_cases
    members: dict[str, _Member] = defaultdict(_Member)
    bought: dict[str, _Bought] = {}
    seen: set[str] = set()
    net: dict[str, int] = defaultdict(int)
    earnings: Counter[str] = Counter()
    for event in events:
        if event.id in seen:
            continue  # a till that sent it again
        seen.add(event.id)
        member, moment = members[event.subject], event.time
        if event.type == "purchase.completed":
            member.purchases_in_month[_month(moment)] += 1
            shares = {}
            day = moment.date().isoformat()
            cases[f"tier {member.tier}"] += 1
            for rule, points in earned_for(member, event.data, moment).items():
                if rule in DAY_CAPS:
                    allowed = max(DAY_CAPS[rule] - member.used_today(rule, day), 0)
                    if points > allowed:
                        cases[f"capped {rule}"] += 1
                    points = min(points, allowed)
                if points > 0:
                    cases[rule] += 1
                    shares[rule] = points
                    member.count(rule, points, moment)
            if shares:
                earnings[event.subject] += 1
            net[event.subject] += sum(shares.values())
            bought[event.id] = _Bought(event.subject, Fraction(str(event.data["total"])), shares)
            qualifying = member.qualifying(moment)
            if qualifying >= GOLD:
                member.tier = "gold"
            elif qualifying >= SILVER and member.tier == "base":
                member.tier = "silver"
        elif event.type == "purchase.returned":
            purchase = bought[event.data["original_event_id"]]
            purchase.returned = min(
                purchase.returned + Fraction(str(event.data["amount"])), purchase.paid
            )
            fraction = purchase.returned / purchase.paid if purchase.paid else Fraction(1)
            for rule, share in sorted(purchase.shares.items()):
                due = _half_up(share * fraction) - purchase.taken.get(rule, 0)
                if due > 0:
                    cases["taken back"] += 1
                    purchase.taken[rule] = purchase.taken.get(rule, 0) + due
                    member.count(rule, -due, moment)
                    net[purchase.member] -= due
    return dict(net), earnings


def settled(net: dict[str, int]) -> dict[str, dict[str, int]]:
    """Each member's whole balance once every return window has closed, nothing spent: all
    net points available and earned, none pending, held or redeemed."""
    return {
        member: {
            "available": points,
            "pending": 0,
            "held": 0,
            "lifetime_earned": points,
            "lifetime_redeemed": 0,
        }
        for member, points in net.items()
    }
