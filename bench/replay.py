"""Replay before you publish, timed: a draft rule and a draft offer over 100,000 purchases of
history in the rules' database (written as the rules write it, with the member's facts), the
answer's time measured as the admin API computes it (the same function).

    python -m bench.replay --postgres postgresql+asyncpg://pointstream@127.0.0.1:15432

``make bench`` runs it as its last phase (``results.json``: ``replay``).
"""

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.rules.adapters.history_codec import event_to_json
from services.rules.adapters.offer_specs import OfferSpec
from services.rules.adapters.rule_specs import RuleSpec
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent, Purchase, PurchaseLine
from services.rules.service_layer.pack import load_default_pack_if_empty
from services.rules.service_layer.replay import replay
from services.rules.service_layer.rulebook import RuleBook
from shared.cli import migrate
from shared.db import create_engine, session_factory
from tests.infra import REPO

CATEGORIES = ("dairy", "bakery", "produce", "pantry", "coffee", "household")
DRAFT_RULE = RuleSpec.model_validate(
    {
        "id": "organic-double",
        "name": "Double points on organic",
        "driver": "economic",
        "events": ["purchase.completed"],
        "condition": "member.tier != 'base' || purchase.total >= 200",
        "effect": {"type": "points_per_amount", "points": 2, "lines": '"organic" in line.tags'},
        "explanation": {"en": "double on organic ($amount $currency)"},
    }
)
DRAFT_OFFER = OfferSpec.model_validate(
    {
        "id": "bakery-boost",
        "name": {"en": "Bakery boost"},
        "audience": "regulars",
        "effect": {"type": "points_per_amount", "points": 3, "lines": 'line.category == "bakery"'},
        "control_share": "0.1",
    }
)


def history_rows(purchases: int, members: int, now: datetime) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    rows = []
    for n in range(purchases):
        member = f"m-{rng.randrange(members)}"
        at = now - timedelta(seconds=rng.uniform(0, 29 * 86_400))
        lines = tuple(
            PurchaseLine(
                sku=f"sku-{rng.randrange(500)}",
                category=rng.choice(CATEGORIES),
                quantity=Decimal(rng.randint(1, 3)),
                unit_price=Decimal(rng.randint(500, 9000)) / 100,
                tags=("organic",) if rng.random() < 0.3 else (),
            )
            for _ in range(rng.randint(1, 6))
        )
        total = sum((ln.amount for ln in lines), Decimal(0))
        event = LoyaltyEvent(
            event_id=f"h-{n}",
            event_type="purchase.completed",
            member_id=member,
            occurred_at=at,
            purchase=Purchase("DKK", total, lines),
            data={"channel": "pos"},
            source="pos/bench",
            sent_id=f"r-{n}",
        )
        state = MemberState(member, tier=rng.choice(("base", "base", "silver", "gold")))
        state.last_purchase_at = at - timedelta(days=rng.randint(1, 90))
        facts = state.facts(at)
        facts["audiences"] = ["regulars"] if rng.random() < 0.5 else []
        rows.append((event.event_id, member, event.event_type, at, event_to_json(event), facts))
    return rows


async def fill(url: str, rows: list[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.executemany(
            "INSERT INTO history (event_id, member_id, event_type, occurred_at, event, member)"
            " VALUES ($1, $2, $3, $4, $5::json, $6::json)",
            [(*row[:4], json.dumps(row[4]), json.dumps(row[5])) for row in rows],
        )
    finally:
        await conn.close()


async def timed_replays(url: str, purchases: int = 100_000) -> dict[str, Any]:
    """Fill the database at ``url`` (migrated here) with ``purchases`` of history, replay the
    draft rule and the draft offer; the seconds each took."""
    await asyncio.to_thread(migrate, REPO / "services" / "rules", url)
    now = datetime.now(UTC)
    await fill(url, history_rows(purchases, purchases // 10, now))
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await load_default_pack_if_empty(sessions)
        book = RuleBook(sessions)
        result: dict[str, Any] = {"purchases": purchases}
        for name, spec in (("rule", DRAFT_RULE), ("offer", DRAFT_OFFER)):
            started = time.perf_counter()
            answer = await replay(
                sessions, book, spec, days=30, now=now, point_value=Decimal("0.10"), processes=2
            )
            result[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
            result[f"{name}_points"] = answer["draft"]["points"]
            result[f"{name}_members"] = answer["draft"]["members"]
            assert answer["events"] == purchases, answer["events"]
        return result
    finally:
        await engine.dispose()


async def _main(args: argparse.Namespace) -> None:
    server = args.postgres
    conn = await asyncpg.connect(f"{server.replace('postgresql+asyncpg', 'postgresql')}/postgres")
    try:
        await conn.execute("DROP DATABASE IF EXISTS bench_replay")
        await conn.execute("CREATE DATABASE bench_replay")
    finally:
        await conn.close()
    found = await timed_replays(f"{server}/bench_replay", args.purchases)
    print(found, file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="server URL, without a database")
    parser.add_argument("--purchases", type=int, default=100_000)
    asyncio.run(_main(parser.parse_args()))
