"""Exactly once under crashes: a stream of purchases, duplicates and returns flows while the
rules, ledger and notification processes are killed (-9) and restarted; at the end every
member's points equal what the rules define, and nothing was counted or told twice."""

import asyncio
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent, Purchase, PurchaseLine, Return
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.pack import DEFAULT_PACK, parse_pack
from services.rules.service_layer.rulebook import RuleBook
from shared.contracts.envelope import CloudEvent, new_event
from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.conftest import SERVICES, System
from tests.kafka_helpers import read_all
from tests.polling import eventually
from tests.unit.fakes import FakeRulesUnitOfWork

pytestmark = pytest.mark.e2e
MEMBERS, PURCHASES, DUPLICATES, RETURNS, CRASHES = 30, 1200, 150, 60, 4
WHEN = datetime.now(UTC) - timedelta(days=20)  # return windows long past: points available
CATEGORIES = ["dairy", "bakery", "produce", "kitchen", "pantry"]


def stream(seed: int) -> list[CloudEvent]:
    """Purchases, duplicates of some, and partial returns of earlier ones, in a fixed order."""
    rng = random.Random(seed)
    events: list[CloudEvent] = []
    bought: list[CloudEvent] = []
    for n in range(PURCHASES):
        member = f"crash-{rng.randrange(MEMBERS)}"
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
            id=f"p-{seed}-{n}",
            source="pos/1",
            type="purchase.completed",
            subject=member,
            time=WHEN + timedelta(seconds=n),
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
        if n % (PURCHASES // DUPLICATES) == 0:
            events.append(rng.choice(events))  # a till that sent it again
        if n % (PURCHASES // RETURNS) == 0 and n:
            original = rng.choice(bought)
            events.append(
                new_event(
                    id=f"ret-{seed}-{n}",
                    source="pos/1",
                    type="purchase.returned",
                    subject=original.subject,
                    time=WHEN + timedelta(seconds=n, milliseconds=500),
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
    for event in events:
        data = event.data
        purchase = returned = None
        if event.type == "purchase.completed":
            purchase = Purchase(
                currency="DKK",
                total=Decimal(data["total"]),
                lines=tuple(
                    PurchaseLine(
                        sku=ln["sku"],
                        category=ln["category"],
                        quantity=Decimal(ln["quantity"]),
                        unit_price=Decimal(ln["unit_price"]),
                        tags=tuple(ln["tags"]),
                    )
                    for ln in data["lines"]
                ),
            )
        else:
            returned = Return(data["original_event_id"], "DKK", Decimal(data["amount"]))
        await evaluate_event(
            EvaluateEvent(
                LoyaltyEvent(
                    event_id=event.id,
                    event_type=event.type,
                    member_id=event.subject,
                    occurred_at=event.time,
                    purchase=purchase,
                    returned=returned,
                    data=data,
                )
            ),
            uow=uow,
            book=book,
        )
    net: dict[str, int] = defaultdict(int)
    for award in uow.awards:
        net[award.member_id] += award.points
    for revocation in uow.revocations:
        net[revocation.member_id] -= revocation.points
    return dict(net), Counter(a.member_id for a in uow.awards)


async def crash_now_and_then(system: System, rng: random.Random) -> None:
    for n in range(CRASHES):
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        victim = SERVICES[n % len(SERVICES)]
        system.kill(victim)
        await asyncio.sleep(0.3)
        system.spawn(victim)


async def test_no_point_is_lost_or_doubled_when_services_crash_mid_stream(system: System) -> None:
    events = stream(seed=7)
    net, earnings = await expected(events)
    producer = EventProducer(system.kafka, client_id="crash-test")
    await producer.start()
    killer = asyncio.create_task(crash_now_and_then(system, random.Random(11)))
    try:
        for start in range(0, len(events), 60):
            await producer.send(
                [
                    OutgoingMessage(
                        topic=system.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
                    )
                    for e in events[start : start + 60]
                ]
            )
            await asyncio.sleep(0.2)
        await killer
    finally:
        await producer.stop()
    await system.wait_ready()

    reader = {"X-API-Key": READER_KEY}
    async with httpx.AsyncClient(timeout=10, headers=reader) as client:

        async def lifetimes() -> dict[str, int]:
            found = {}
            for member in net:
                r = await client.get(f"{system.urls['ledger']}/v1/members/{member}/balance")
                found[member] = r.json()["lifetime_earned"]
            return found

        await eventually(
            lifetimes,
            lambda got: got == net,
            timeout=180,
            interval=1,
            what="every member's points as the rules define them",
        )
        report = (
            await client.get(
                f"{system.urls['ledger']}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
            )
        ).json()
        told: Counter[str] = Counter()
        for member in net:

            async def earned_messages(member: str = member) -> int:
                page = (
                    await client.get(
                        f"{system.urls['notifications']}/v1/members/{member}/inbox?limit=200"
                    )
                ).json()
                return sum(m["kind"] == "points_earned" for m in page["messages"])

            told[member] = await eventually(
                earned_messages,
                lambda n, m=member: n >= earnings[m],  # type: ignore[misc]
                timeout=60,
                what=f"{member}'s messages",
            )
    assert report["ok"] is True
    assert await read_all(system.kafka, system.kafka.topics.dead_letter) == []  # all legit
    assert told == earnings  # one message per earning: none lost, none twice
    assert sum(net.values()) > 10_000  # the stream was real work, not a trivial case
