"""The oracle's invariants after a chaos run, each a function that returns what it found
wrong (empty when the promise held), in the order a failure is easiest to read: what the
edge answered, then the books, then what the newer features promise, then erasure and the
dead letters. The expected figures come from the handbook (``tests/e2e/handbook.py``) and the
test's own reading of the contract, never from pointstream's code."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from chaos import program
from chaos.driver import Drive
from chaos.system import ChaosSystem
from chaos.workload import Step
from shared.contracts.envelope import CloudEvent, event_key
from tests import apps
from tests.e2e.handbook import Book

OFFER_RULE = f"offer:{program.OFFER}"
CHALLENGE_RULE = f"challenge:{program.CHALLENGE}"


@dataclass
class World:
    """What the oracle knows: the steps, what each got, and the handbook's book."""

    steps: list[Step]
    drive: Drive
    events: list[CloudEvent]  # every event taken, in the order sent
    book: Book
    erased: set[str]
    members: list[str]  # everyone not erased
    spent: Counter[str] = field(default_factory=Counter)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def in_control(member: str) -> bool:
    """The contract's control group: the first 64 bits of sha256(offer, NUL, member) as a
    fraction of 2^64 below the share (docs/audiences-and-offers.md)."""
    digest = hashlib.sha256(f"{program.OFFER}\0{member}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < program.CONTROL_SHARE


def edge(world: World) -> list[str]:
    """Every step got its answer: events taken (202 or, on Kafka, acknowledged); redemptions
    and voucher uses answered (a refusal for want of points or stock, or of an account not
    yet booked, is an answer)."""
    wrong = []
    for step in world.steps:
        got = world.drive.outcomes.get(step.number)
        if got is None or (got.status == 0 and got.body != "no voucher to use"):
            wrong.append(f"step {step.number} ({step.kind}) never answered: {got}")
        elif step.kind in ("redemption", "voucher_use") and got.status not in (0, 200, 201, 409):
            if step.kind == "redemption" and got.status == 404:
                continue  # no points booked yet: "no points account" is an answer
            wrong.append(f"step {step.number} ({step.kind}) got {got.status}: {got.body}")
        elif step.kind not in ("redemption", "voucher_use") and got.status not in (200, 202):
            wrong.append(f"step {step.number} ({step.kind}) refused: {got.status} {got.body}")
    return wrong


async def balances(world: World, ledger: str) -> list[str]:
    """Every member's whole balance is the handbook's net less what they spent."""
    wrong = []
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
        for member in world.members:
            r = await c.get(f"{ledger}/v1/members/{member}/balance")
            got = r.json() if r.status_code == 200 else {"status": r.status_code}
            net, spent = world.book.net.get(member, 0), world.spent[member]
            want = {
                "available": net - spent,
                "pending": 0,
                "held": 0,
                "lifetime_earned": net,
                "lifetime_redeemed": spent,
            }
            if {k: got.get(k) for k in want} != want:
                wrong.append(f"{member}: balance {got}, the handbook says {want}")
    return wrong


async def read_entries(world: World, ledger: str) -> None:
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
        for member in world.members:
            found: list[dict[str, Any]] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
                r = (await c.get(f"{ledger}/v1/members/{member}/entries", params=params)).json()
                found += r["entries"]
                if not (cursor := r.get("next_cursor")):
                    break
            world.entries[member] = found


def by_rule(entries: list[dict[str, Any]]) -> Counter[str]:
    sums: Counter[str] = Counter()
    for e in entries:
        if e["rule_id"] and e["kind"] in ("earn", "reverse"):
            sums[e["rule_id"]] += e["points"] if e["kind"] == "earn" else -e["points"]
    return sums


def rules_booked(world: World) -> list[str]:
    """Each member's points per rule, earned less taken back, are the handbook's."""
    wrong = []
    for member in world.members:
        got = +by_rule(world.entries[member])
        want = +world.book.by_rule.get(member, Counter())
        if got != want:
            diff = {r: (got[r], want[r]) for r in got.keys() | want.keys() if got[r] != want[r]}
            wrong.append(f"{member}: points by rule (booked, handbook) {diff}")
    return wrong


def offers(world: World) -> list[str]:
    """No offer points for a control-group member; at most the per-member limit each; the
    budget never exceeded."""
    wrong, total = [], 0
    for member, entries in world.entries.items():
        points = by_rule(entries)[OFFER_RULE]
        total += points
        if points and in_control(member):
            wrong.append(f"{member} is in the control group and got {points} offer points")
        if points > program.OFFER_POINTS:
            wrong.append(f"{member} got {points} offer points, over the limit")
    if total > program.OFFER_BUDGET:
        wrong.append(f"offer points {total} over the budget {program.OFFER_BUDGET}")
    return wrong


def challenges(world: World) -> list[str]:
    """A challenge completes once per member, at the purchase that is its N-th step (a
    redelivered or re-sent purchase is no step)."""
    keys = {event_key(e.source, e.id): e.id for e in world.events}
    wrong = []
    for member, entries in world.entries.items():
        done = [
            keys.get(e["source_event_id"], e["source_event_id"])
            for e in entries
            if e["rule_id"] == CHALLENGE_RULE and e["kind"] == "earn"
        ]
        want = [world.book.completed[member]] if member in world.book.completed else []
        if len(done) > 1:
            wrong.append(f"{member} completed {program.CHALLENGE} {len(done)} times")
        elif done != want:
            wrong.append(f"{member} completed {program.CHALLENGE} at {done}, its steps say {want}")
    return wrong


def vouchers(world: World) -> list[str]:
    """A voucher is used once: one accepted use per code, whatever the tills sent."""
    used: Counter[str] = Counter()
    for step in world.steps:
        got = world.drive.outcomes.get(step.number)
        if step.kind == "voucher_use" and got and got.status in (200, 201):
            used[got.body["code"]] += 1
    return [f"voucher {code} used {n} times" for code, n in used.items() if n > 1]


def stock(world: World) -> list[str]:
    """Never more of a reward given than its stock (vip-evening: 40), however many tills
    asked at once."""
    given: Counter[str] = Counter()
    for step in world.steps:
        got = world.drive.outcomes.get(step.number)
        if step.kind == "redemption" and got and got.status in (200, 201):
            given[step.message["reward_id"]] += 1
    return [f"{n} of vip-evening given, its stock is 40" for n in [given["vip-evening"]] if n > 40]


async def reconciliation(world: World, ledger: str) -> list[str]:
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": apps.ADMIN_KEY}) as c:
        report = (await c.get(f"{ledger}/v1/admin/reconciliation")).json()
    return [] if report["ok"] else [f"reconciliation: {report['mismatches']}"]


async def settlement(world: World, rules: str, months: list[str]) -> list[str]:
    """The partner is billed for exactly the points its rule gave (earned less taken back),
    erased members' included."""
    want = sum(c["partner-coffee"] for c in world.book.by_rule.values())
    got = 0
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": apps.ADMIN_KEY}) as c:
        for month in months:
            r = await c.get(
                f"{rules}/v1/partners/{program.PARTNER}/settlement", params={"month": month}
            )
            got += r.json()["points_net"]
    return [] if got == want else [f"{program.PARTNER} billed for {got} points, funded {want}"]


async def inboxes(world: World, notifications: str) -> list[str]:
    """One `points_earned` message per earning: none lost, none told twice."""
    wrong = []
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
        for member in world.members:
            told, cursor = 0, None
            while True:
                params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
                r = await c.get(f"{notifications}/v1/members/{member}/inbox", params=params)
                page = r.json()
                told += sum(m["kind"] == "points_earned" for m in page["messages"])
                if not (cursor := page.get("next_cursor")):
                    break
            if told != world.book.earnings[member]:
                want = world.book.earnings[member]
                wrong.append(f"{member}: {told} earning messages for {want} earnings")
    return wrong


def figures(world: World, system: ChaosSystem) -> dict[str, int]:
    """What the run exercised, for its report: the invariants above held over these."""
    offer = [m for m, es in world.entries.items() if by_rule(es)[OFFER_RULE]]
    got = [o for o in world.drive.outcomes.values() if o.status in (200, 201)]
    return {
        "members_with_offer_points": len(offer),
        "control_members_checked": sum(in_control(m) for m in world.members),
        "challenge_completions": len(world.book.completed),
        "vouchers_issued": sum(1 for o in got if isinstance(o.body, dict) and "voucher" in o.body),
        "voucher_uses": sum(1 for o in got if isinstance(o.body, dict) and "used_at" in o.body),
        "emails": len(system.mailbox.messages),
        "partner_points": sum(c["partner-coffee"] for c in world.book.by_rule.values()),
    }
