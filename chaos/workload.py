"""The seeded workload: what a retailer's tills, web shop and app send, drawn from one seed so
that the same seed is the same workload, step for step. Each step is a message and the way it
goes in (HTTP ingest in each CloudEvents mode, or straight to Kafka); a step that needs what
an earlier one made (a voucher's code) names that step, and the runner resolves it.

What is drawn: purchases of 1 to 6 lines in several currencies, partial and full returns of
earlier purchases, duplicates of earlier messages, redemptions from several tills with a
retry under the same key, uses of the vouchers they issued (and a retried use), profile and
consent changes, NPS answers, offer clips, and erasures (a member erased receives nothing
after). Event times are skewed within what ingest accepts."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

Route = Literal["structured", "batch", "binary", "kafka"]
ROUTES: tuple[Route, ...] = ("structured", "batch", "binary", "kafka")
CURRENCIES = ("DKK", "DKK", "DKK", "SEK", "EUR")  # the program's most, some foreign
CATEGORIES = ("dairy", "bakery", "produce", "kitchen", "pantry", "coffee")
TAGS = ("organic", "local", "partner-coffee")
TILLS = ("pos/store-1/till-1", "pos/store-1/till-2", "pos/store-2/till-1", "web/shop")
REWARDS = ("plant-a-tree", "free-sourdough", "vip-evening")  # the last: stock 40, silver
SKEW = timedelta(minutes=50)  # within what ingest accepts of an event's time (docs/events.md)
# How often each kind of step is drawn, per 1,000.
WEIGHTS = {
    "purchase": 620,
    "return": 70,
    "duplicate": 90,
    "redemption": 45,
    "voucher_use": 35,
    "profile": 40,
    "consent": 25,
    "nps": 35,
    "clip": 25,
    "erasure": 2,
}


@dataclass(frozen=True)
class Step:
    number: int
    kind: str
    member: str
    route: Route
    message: dict[str, Any] = field(default_factory=dict)  # a CloudEvent, or a call's body
    refers_to: int | None = None  # the step whose outcome it needs (a voucher's redemption)
    key: str | None = None  # an idempotency key, the same for a retry


@dataclass
class _State:
    purchases: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    sent: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    redemptions: list[int] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)
    replaced: dict[str, str] = field(default_factory=dict)  # an erased member -> who came after


def workload(
    seed: int, *, events: int, members: int, start: datetime, prefix: str = "chaos"
) -> Iterator[Step]:
    """``events`` steps for ``members`` members, from ``start`` (a minute of time a step)."""
    rng = random.Random(seed)
    kinds, weights = zip(*WEIGHTS.items(), strict=True)
    state = _State()
    for n in range(events):
        moment = start + timedelta(seconds=n) + rng.uniform(-1, 1) * SKEW
        member = f"{prefix}-{seed}-m{rng.randrange(members)}"
        kind = rng.choices(kinds, weights)[0]
        while member in state.erased:  # someone new takes their place in the draw
            member = state.replaced.setdefault(member, f"{prefix}-{seed}-m{members + n}")
        step = _draw(rng, state, n, kind, member, moment, seed, prefix)
        if step.kind in ("purchase", "return", "profile", "consent", "nps", "clip"):
            state.sent.append((n, step.message))
        yield step


def _draw(
    rng: random.Random,
    state: _State,
    n: int,
    kind: str,
    member: str,
    moment: datetime,
    seed: int,
    prefix: str,
) -> Step:
    route = rng.choice(ROUTES)
    earlier = state.purchases.get(member, [])
    if kind == "return" and earlier:
        k = rng.randrange(len(earlier))
        bought_at, bought = earlier[k]
        returned, left = _returned(rng, n, bought, moment, seed)
        if left["data"]["lines"]:
            earlier[k] = (bought_at, left)
        else:
            del earlier[k]  # all of it back: nothing more to return
        return Step(n, "return", member, route, returned, bought_at)
    alive = kind == "duplicate" and [
        sent for sent in state.sent[-500:] if sent[1]["subject"] not in state.erased
    ]
    if alive:
        first, message = rng.choice(alive)  # (an erased member's are refused: not re-sent)
        return Step(n, "duplicate", str(message["subject"]), route, message, first)
    if kind == "redemption" and earlier:  # (a member who has bought something)
        state.redemptions.append(n)
        body = {"reward_id": rng.choice(REWARDS)}
        return Step(n, "redemption", member, "structured", body, key=f"{prefix}-r-{seed}-{n}")
    if kind == "voucher_use" and state.redemptions:
        redeemed = rng.choice(state.redemptions)
        body = {"where": rng.choice(TILLS)}
        return Step(n, "voucher_use", "", "structured", body, redeemed, f"{prefix}-u-{seed}-{n}")
    if kind == "erasure" and earlier:
        state.erased.add(member)
        return Step(n, "erasure", member, "structured")
    if kind in ("profile", "consent", "nps", "clip"):
        return Step(n, kind, member, route, _activity(rng, n, kind, member, moment, seed))
    bought = _purchase(rng, n, member, moment, seed)
    state.purchases.setdefault(member, []).append((n, bought))
    return Step(n, "purchase", member, route, bought)


def _event(n: int, seed: int, kind: str, member: str, moment: datetime, data: dict[str, Any],
           source: str = "pos/store-1/till-1") -> dict[str, Any]:  # fmt: skip
    return {
        "specversion": "1.0",
        "id": f"chaos-{seed}-{n}",
        "source": source,
        "type": kind,
        "time": moment.isoformat(),
        "subject": member,
        "datacontenttype": "application/json",
        "data": data,
    }


def _purchase(
    rng: random.Random, n: int, member: str, moment: datetime, seed: int
) -> dict[str, Any]:
    skus = rng.sample(range(40), rng.randint(1, 6))  # a SKU once per purchase
    lines: list[dict[str, Any]] = [
        {
            "sku": f"sku-{sku}",
            "category": rng.choice(CATEGORIES),
            "quantity": rng.randint(1, 3),
            "unit_price": f"{rng.randint(2, 300)}.{rng.randrange(100):02d}",
            "tags": rng.sample(TAGS, rng.randint(0, 1)),
        }
        for sku in skus
    ]
    total = sum((Decimal(str(ln["unit_price"])) * ln["quantity"] for ln in lines), Decimal(0))
    data = {
        "purchase_id": f"p-{seed}-{n}",
        "channel": rng.choice(("pos", "pos", "web", "app")),
        "currency": rng.choice(CURRENCIES),
        "total": str(total),
        "lines": lines,
    }
    return _event(n, seed, "purchase.completed", member, moment, data, rng.choice(TILLS))


def _returned(
    rng: random.Random, n: int, bought: dict[str, Any], moment: datetime, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A return of what is left of the purchase: all of it, or some units of some of its
    lines; and the purchase as what is left after it."""
    lines = bought["data"]["lines"]
    whole = rng.random() < 0.3
    chosen = lines if whole else rng.sample(lines, rng.randint(1, len(lines)))
    units = [ln["quantity"] if whole else rng.randint(1, ln["quantity"]) for ln in chosen]
    amount = sum(
        (Decimal(ln["unit_price"]) * q for ln, q in zip(chosen, units, strict=True)), Decimal(0)
    )
    data = {
        "return_id": f"r-{seed}-{n}",
        "original_event_id": bought["id"],
        "currency": bought["data"]["currency"],
        "amount": str(amount),
        "lines": [{"sku": ln["sku"], "quantity": q} for ln, q in zip(chosen, units, strict=True)],
    }
    later = max(moment, datetime.fromisoformat(bought["time"]) + timedelta(seconds=1))
    back = dict(zip((ln["sku"] for ln in chosen), units, strict=True))
    left_lines = [
        {**ln, "quantity": ln["quantity"] - back.get(ln["sku"], 0)}
        for ln in lines
        if ln["quantity"] > back.get(ln["sku"], 0)
    ]
    left = {**bought, "data": {**bought["data"], "lines": left_lines}}
    event = _event(n, seed, "purchase.returned", bought["subject"], later, data, bought["source"])
    return event, left


def _activity(
    rng: random.Random, n: int, kind: str, member: str, moment: datetime, seed: int
) -> dict[str, Any]:
    data: dict[str, Any]
    if kind == "profile":
        data = {"language": rng.choice(("da", "sv", "en")), "email": f"{member}@example.com"}
        return _event(n, seed, "member.profile_updated", member, moment, data, "app")
    if kind == "consent":
        data = {"consents": {"email": rng.random() < 0.7, "push": rng.random() < 0.5}}
        return _event(n, seed, "member.profile_updated", member, moment, data, "app")
    if kind == "nps":
        data = {"activity": "nps_answer", "score": rng.randint(0, 10)}
        return _event(n, seed, "member.activity", member, moment, data, "app")
    data = {"offer_id": "welcome-back"}
    return _event(n, seed, "offer.activated", member, moment, data, "app")
