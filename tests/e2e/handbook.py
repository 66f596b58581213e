"""The default program as its handbook states it, written from the pack's wording and not
from pointstream's code: the independent oracle the distributed runs are checked against.

It knows what the streams of :mod:`tests.e2e.oracle` and ``chaos/`` contain, and the rules:

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
- Silver from 1,000, Gold from 5,000 points earned in the last 12 calendar months, reached
  as soon as the points are earned, whatever earned them (never down);
- a return takes back each rule's share of the purchase in proportion to the amount returned
  so far (half up), and what it takes back counts against the day and month it happens in.

Days and months are UTC calendar days and months of the event's time.

For the chaos runs (``chaos/``): lines of several units (per-unit rules count units), other
currencies (the total in kroner at the day's rate to the øre, unit prices to four places, half
to even; a return's share of the purchase reckoned in the currency it was paid in), 25 points
per NPS answer, at most 50 a month ("feedback"), a challenge of N purchases with something
organic (its points once, at the N-th, never taken back), an offer's points as observed
(checked apart); all count for tiers.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from shared.contracts.envelope import CloudEvent

DAY_CAPS = {"dairy-double": 500, "app-purchase": 20, "organic-local": 100}
FEEDBACK, FEEDBACK_MONTH_CAP = 25, 50
SILVER, GOLD = 1000, 5000


@dataclass
class _Member:
    tier: str = "base"
    purchases_in_month: Counter[str] = field(default_factory=Counter)
    earned_in_month: Counter[str] = field(default_factory=Counter)
    day_used: dict[str, tuple[str, int]] = field(default_factory=dict)  # rule -> (day, points)
    feedback_in_month: Counter[str] = field(default_factory=Counter)
    organic_purchases: int = 0

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
    paid: Fraction  # in the currency it was paid in
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
        (
            Fraction(str(ln["unit_price"])) * int(ln["quantity"])
            for ln in lines
            if ln["category"] == "dairy"
        ),
        Fraction(0),
    )
    tags = [(set(ln["tags"]), int(ln["quantity"])) for ln in lines]
    base = math.floor(paid)
    points = {
        "base-earn": base,
        "big-basket": 100 if paid >= 1000 else 0,
        "partner-coffee": 10 * sum(q for t, q in tags if "partner-coffee" in t),
        "app-purchase": 20 if data["channel"] == "app" else 0,
        "fifth-visit": 75 if member.purchases_in_month[_month(moment)] == 5 else 0,
        "three-categories": 40 if len({ln["category"] for ln in lines}) >= 3 else 0,
        "organic-local": 5 * sum(q for t, q in tags if t & {"organic", "local"}),
    }
    if dairy:
        points["dairy-double"] = math.floor(paid * dairy / gross) if gross else 0
    if member.tier == "silver":
        points["silver-multiplier"] = math.floor(Fraction(base, 4))
    elif member.tier == "gold":
        points["gold-multiplier"] = math.floor(Fraction(base, 2))
    return points


@dataclass
class Book:
    """What the handbook says: net points per member, their earnings (decided events that
    gave points), and net points per member and rule."""

    net: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    earnings: Counter[str] = field(default_factory=Counter)
    by_rule: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    completed: dict[str, str] = field(default_factory=dict)  # member -> the completing event

    def book(self, member: str, rule: str, points: int) -> None:
        self.net[member] += points
        self.by_rule[member][rule] += points


def _in_kroner(data: dict[str, Any], rates: dict[str, Decimal]) -> dict[str, Any]:
    rate = rates.get(data["currency"])
    if rate is None:
        return data
    total = (Decimal(str(data["total"])) * rate).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    lines = [
        {**ln, "unit_price": (Decimal(ln["unit_price"]) * rate).quantize(Decimal("0.0001"))}
        for ln in data["lines"]
    ]
    return {**data, "total": total, "lines": lines}


def handbook(
    events: list[CloudEvent],
    seen_cases: Counter[str] | None = None,
    *,
    rates: dict[str, Decimal] | None = None,
    challenge: tuple[str, int, int] | None = None,  # its rule id, target and points
    observed: dict[str, dict[str, int]] | None = None,  # event id -> rule -> points
) -> Book:
    """The book of a stream. ``seen_cases`` counts what the stream exercised: each rule
    awarded or cut by a cap, tiers, take-backs."""
    cases: Counter[str] = Counter() if seen_cases is None else seen_cases
    members: dict[str, _Member] = defaultdict(_Member)
    bought: dict[str, _Bought] = {}
    seen: set[str] = set()
    result = Book()
    for event in events:
        if event.id in seen:
            continue  # a till that sent it again
        seen.add(event.id)
        member, moment = members[event.subject], event.time
        shares: dict[str, int] = {}
        if event.type == "purchase.completed":
            data = _in_kroner(event.data, rates or {})
            member.purchases_in_month[_month(moment)] += 1
            day = moment.date().isoformat()
            cases[f"tier {member.tier}"] += 1
            earned = earned_for(member, data, moment)
            if challenge and any("organic" in ln["tags"] for ln in data["lines"]):
                member.organic_purchases += 1
                if member.organic_purchases == challenge[1]:
                    earned[challenge[0]] = challenge[2]
                    result.completed[event.subject] = event.id
            earned |= (observed or {}).get(event.id, {})
            for rule, points in earned.items():
                if rule in DAY_CAPS:
                    allowed = max(DAY_CAPS[rule] - member.used_today(rule, day), 0)
                    if points > allowed:
                        cases[f"capped {rule}"] += 1
                    points = min(points, allowed)
                if points > 0:
                    cases[rule] += 1
                    shares[rule] = points
                    member.count(rule, points, moment)
            paid = Fraction(str(event.data["total"]))  # in the currency it was paid in
            kept = {r: p for r, p in shares.items() if not challenge or r != challenge[0]}
            bought[event.id] = _Bought(event.subject, paid, kept)  # (a challenge's stays)
        elif event.type == "member.activity" and event.data.get("activity") == "nps_answer":
            month = _month(moment)
            points = min(FEEDBACK, FEEDBACK_MONTH_CAP - member.feedback_in_month[month])
            if points > 0:
                member.feedback_in_month[month] += points
                shares["feedback"] = points
                member.count("feedback", points, moment)
        elif event.type == "purchase.returned":
            purchase = bought[event.data["original_event_id"]]
            amount = Fraction(str(event.data["amount"]))  # in the purchase's own currency
            purchase.returned = min(purchase.returned + amount, purchase.paid)
            fraction = purchase.returned / purchase.paid if purchase.paid else Fraction(1)
            for rule, share in sorted(purchase.shares.items()):
                due = _half_up(share * fraction) - purchase.taken.get(rule, 0)
                if due > 0:
                    cases["taken back"] += 1
                    purchase.taken[rule] = purchase.taken.get(rule, 0) + due
                    member.count(rule, -due, moment)
                    result.book(purchase.member, rule, -due)
        if event.type != "purchase.returned":  # up at once, whatever earned it; never down
            qualifying = member.qualifying(moment)
            if qualifying >= GOLD:
                member.tier = "gold"
            elif qualifying >= SILVER and member.tier == "base":
                member.tier = "silver"
        if shares:
            result.earnings[event.subject] += 1
            for rule, points in shares.items():
                result.book(event.subject, rule, points)
    return result


def handbook_expected(
    events: list[CloudEvent], seen_cases: Counter[str] | None = None
) -> tuple[dict[str, int], Counter[str]]:
    """Net points per member and how many of their purchases earned anything."""
    found = handbook(events, seen_cases)
    return dict(found.net), found.earnings


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
