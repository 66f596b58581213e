"""One chaos run: the system started, the program set, the workload driven while the fault
schedule acts, then — with everything caught up — the oracle's invariants, each waited for up
to a deadline where catching up is what it waits on."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from chaos import checks, held, program
from chaos.acts import Acted, act, supervise
from chaos.driver import IN_FLIGHT, Drive, Driver
from chaos.faults import Fault
from chaos.system import ChaosSystem, started
from chaos.workload import SKEW, Step
from shared.contracts.envelope import CloudEvent, event_key
from tests.e2e.handbook import Book, handbook

EVENT_KINDS = ("purchase", "return", "duplicate", "profile", "consent", "nps", "clip")


@dataclass(frozen=True)
class Plan:
    seed: int
    steps: list[Step]
    faults: list[Fault]
    start: datetime  # the first event's time
    seconds: float  # how long the workload is spread over
    out: Path
    in_flight: int = IN_FLIGHT  # steps under way at once


async def run(plan: Plan) -> dict[str, Any]:
    first = (plan.start - SKEW).date()
    last = (plan.start + timedelta(seconds=len(plan.steps)) + SKEW).date()

    async def prepare(system: ChaosSystem) -> None:
        await program.set_up(system.url("rules-0"), first, last)

    async with started(plan.out / "logs", prepare) as system:
        began = time.monotonic()
        acted = Acted()
        watcher = asyncio.create_task(supervise(system, acted, began))
        faults = asyncio.create_task(act(system, plan.faults, began, acted))
        try:
            say(f"system up; driving {len(plan.steps):,} steps")
            rate = len(plan.steps) / plan.seconds
            drive = await Driver(system, rate, plan.in_flight).run(plan.steps)
            say(f"driven in {drive.seconds:.0f} s ({drive.retries:,} retries); faults ending")
            await faults
        finally:  # (cancelled or failed: nothing may start a replica while the system stops)
            watcher.cancel()
            faults.cancel()
        world = _world(plan, drive)
        broken = await _judged(world, system, plan, first, acted)
        return {
            "seed": plan.seed,
            "events": len(plan.steps),
            "drive_seconds": round(drive.seconds),
            "retries": drive.retries,
            "returns_retried_until_their_purchase_was_recorded": drive.early_returns,
            "faults": acted.done,
            "kills": acted.kills,
            "fault_points_hit": acted.points_hit,
            "restarted_by_supervisor": acted.restarts,
            "members_checked": len(world.members),
            "erased": len(world.erased),
            "points_checked": sum(world.book.net.values()),
            **checks.figures(world, system),
            "broken": broken,
        }


def _world(plan: Plan, drive: Drive) -> checks.World:
    events, erased = [], set()
    for step in plan.steps:
        got = drive.outcomes.get(step.number)
        if step.kind == "erasure":
            erased.add(step.member)
        elif step.kind in EVENT_KINDS and got is not None and got.status in (200, 202):
            events.append(CloudEvent.model_validate(step.message))
    members = sorted({e.subject for e in events} - erased)
    world = checks.World(plan.steps, drive, events, Book(), erased, members)
    for step in plan.steps:
        got = drive.outcomes.get(step.number)
        if step.kind == "redemption" and got and got.status in (200, 201):
            world.spent[step.member] += got.body["points"]
    return world


def _challenge() -> tuple[str, int, int]:
    return (checks.CHALLENGE_RULE, program.CHALLENGE_TARGET, program.CHALLENGE_POINTS)


async def _judged(
    world: checks.World, system: ChaosSystem, plan: Plan, first: date, acted: Acted
) -> list[dict[str, Any]]:
    ledger, rules = system.urls("ledger")[0], system.urls("rules")[0]
    notifications = system.urls("notifications")[0]
    broken: list[dict[str, Any]] = []

    def judge(invariant: str, found: list[str]) -> None:
        say(f"{invariant}: {'held' if not found else f'BROKEN ({len(found)})'}")
        if found:
            broken.append({"invariant": invariant, "found": found})

    judge("the schedule carried out", acted.failed)  # else the run proves less than it says
    judge("every step answered", checks.edge(world))
    deadline = 240 + len(plan.steps) / 100
    # The offer's points as booked, into the handbook (their own rules are checked apart).
    await checks.read_entries(world, ledger)
    observed: dict[str, dict[str, int]] = {}
    keys = {event_key(e.source, e.id): e.id for e in world.events}
    for entries in world.entries.values():
        for e in entries:
            if e["rule_id"] == checks.OFFER_RULE and e["kind"] == "earn":
                observed[keys.get(e["source_event_id"], e["source_event_id"])] = {
                    checks.OFFER_RULE: e["points"]
                }
    world.book = handbook(
        world.events,
        rates=dict(program.RATES),
        challenge=_challenge(),
        observed=observed,
    )
    judge("balances", await _until(lambda: checks.balances(world, ledger), deadline))
    await checks.read_entries(world, ledger)
    judge("points by rule", checks.rules_booked(world))
    judge("offers never reach the control group", checks.offers(world))
    judge("a challenge completes once", checks.challenges(world))
    judge("vouchers used once", checks.vouchers(world))
    judge("stock", checks.stock(world))
    judge("reconciliation", await checks.reconciliation(world, ledger))
    months = _months(first, datetime.now(UTC).date())
    judge("partner settlement", await checks.settlement(world, rules, months))
    judge(
        "one message per earning", await _until(lambda: checks.inboxes(world, notifications), 120)
    )
    judge("erased members absent", await _until(lambda: held.erasure(world, system), 60))
    judge("nothing dead-lettered", await held.dead_letters(world, system))
    judge("an email goes out once", held.emails(system, acted.windows))
    # The most telling first: a promise of a feature broken also moves the balances.
    return sorted(broken, key=lambda b: b["invariant"] in ("balances", "points by rule"))


def _months(first: date, last: date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def say(what: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {what}", flush=True)


async def _until(
    check: Callable[[], Awaitable[list[str]]], seconds: float, settled: float = 90
) -> list[str]:
    """The check's findings once it finds nothing; at the deadline; or once they have not
    changed for ``settled`` seconds (nothing is catching up any more: a failure is told in
    minutes, not at the deadline)."""
    deadline = time.monotonic() + seconds
    last: list[str] | None = None
    since = time.monotonic()
    while True:
        found = await check()
        now = time.monotonic()
        if found != last:
            last, since = found, now
        if not found or now > deadline or now - since > settled:
            return found
        await asyncio.sleep(2)
