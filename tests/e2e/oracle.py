"""Random streams of loyalty events, and what pointstream's own rules engine makes of them in
process. The distributed runs are checked against the handbook (tests/e2e/handbook.py), an
independent model; the engine in process is checked against the same handbook in
tests/unit/test_handbook.py."""

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from services.rules.adapters.messages import evaluation
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.pack import DEFAULT_PACK, parse_pack
from services.rules.service_layer.rulebook import RuleBook
from shared.contracts.envelope import CloudEvent, new_event
from tests.unit.fakes import FakeRulesUnitOfWork

CATEGORIES = ["dairy", "bakery", "produce", "kitchen", "pantry"]


def stream(
    seed: int,
    *,
    members: int,
    purchases: int,
    duplicates: int,
    returns: int,
    when: datetime,
    prefix: str = "crash",
) -> list[CloudEvent]:
    """Purchases, duplicates of some, and partial returns of earlier ones, in a fixed order."""
    rng = random.Random(seed)
    events: list[CloudEvent] = []
    bought: list[CloudEvent] = []
    for n in range(purchases):
        member = f"{prefix}-{rng.randrange(members)}"
        lines = [
            {
                "sku": f"s{k}",
                "category": rng.choice(CATEGORIES),
                "quantity": 1,
                "unit_price": f"{rng.randint(5, 400)}.{rng.randint(0, 99):02d}",
                "tags": rng.sample(["organic", "local", "partner-coffee"], rng.randint(0, 1)),
            }
            for k in range(rng.randint(1, 4))
        ]
        total = sum((Decimal(str(line["unit_price"])) for line in lines), Decimal(0))
        event = new_event(
            id=f"{prefix}-p-{seed}-{n}",
            source="pos/1",
            type="purchase.completed",
            subject=member,
            time=when + timedelta(seconds=n),
            data={
                "purchase_id": f"r{n}",
                "channel": rng.choice(["pos", "app"]),
                "currency": "DKK",
                "total": str(total),
                "lines": lines,
            },
        )
        events.append(event)
        bought.append(event)
        if n % (purchases // duplicates) == 0:
            events.append(rng.choice(events))  # a till that sent it again
        if n % (purchases // returns) == 0 and n:
            original = rng.choice(bought)
            events.append(
                new_event(
                    id=f"{prefix}-ret-{seed}-{n}",
                    source="pos/1",
                    type="purchase.returned",
                    subject=original.subject,
                    time=when + timedelta(seconds=n, milliseconds=500),
                    data={
                        "return_id": f"x{n}",
                        "original_event_id": original.id,
                        "currency": "DKK",
                        "amount": str(Decimal(original.data["total"]) / 2),
                    },
                )
            )
    return events


async def expected(events: list[CloudEvent]) -> tuple[dict[str, int], Counter[str]]:
    """What the default rules give each member (net points, and earnings), evaluated in
    process in the same per-member order: the oracle for the distributed run."""
    book = RuleBook.static(parse_pack(DEFAULT_PACK.read_text()))
    uow = FakeRulesUnitOfWork()
    for event in events:  # through the consumer's own mapping from CloudEvent to command
        await evaluate_event(evaluation(event), uow=uow, book=book)
    net: dict[str, int] = defaultdict(int)
    for award in uow.awards:
        net[award.member_id] += award.points
    for revocation in uow.revocations:
        net[revocation.member_id] -= revocation.points
    # One earning (one ledger operation, one message) per member and decided event.
    decided = {(a.member_id, a.source_event_id) for a in uow.awards}
    return dict(net), Counter(member for member, _ in decided)
