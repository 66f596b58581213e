"""Replay before you publish: a draft rule or offer run over the last days of real history
(the events as the rules saw them, each with the member's facts just before), writing
nothing. What it would have cost, whom it would have reached (by tier and audience), the tier
moves it would have caused, and its largest awards with their explanations; beside the live
version, when there is one.

The draft is replayed as if it had been in force the whole window (its active dates aside);
its budget and per-member caps count from zero at the window's start; an offer to clip is
replayed as if every treated member had clipped it (the most it can cost); returns are left
out (they take back what a purchase earned, which no rule decides).
"""

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.audiences_repository import AudiencesRepository
from services.rules.adapters.offer_specs import OfferSpec
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.service_layer.replay_runs import Run, Tally, base_rules
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.views import cost
from shared.db import create_engine, session_factory

Sessions = async_sessionmaker[AsyncSession]


def _tier(points: int, tiers: Sequence[TierSpec]) -> str | None:
    reached = [t for t in tiers if points >= t.min_points]
    return max(reached, key=lambda t: t.min_points).name if reached else None


@dataclass
class Part:
    """A part of the history replayed: each version's tally, the events read, and the
    qualifying points of the members they reached (for tier moves)."""

    tallies: dict[str, Tally]
    events: int = 0
    qualifying: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Part") -> None:
        for name, tally in other.tallies.items():
            self.tallies[name].add(tally)
        self.events += other.events
        self.qualifying |= other.qualifying


def _rule_id(spec: RuleSpec | OfferSpec) -> str:
    return spec.to_offer(1).rule_id if isinstance(spec, OfferSpec) else spec.id


async def _replay_part(
    sessions: Sessions,
    book: RuleBook,
    spec: RuleSpec | OfferSpec,
    *,
    since: datetime,
    now: datetime,
    part: int = 0,
    parts: int = 1,
) -> Part:
    book = await book.refreshed()
    rule_id = _rule_id(spec)
    draft = book.with_draft(spec).draft(rule_id) if spec.enabled else None
    live = next((c for c in book.rules if c.rule.rule_id == rule_id), None)
    runs = {
        name: Run(target, base_rules(target, book))
        for name, target in (("draft", draft), ("live", live))
        if target is not None
    }
    found = Part({name: run.tally for name, run in runs.items()})
    async with sessions() as session:
        history = AudiencesRepository(session).history_since(since, part=part, parts=parts)
        async for event, member in history:
            found.events += 1
            for run in runs.values():
                run.feed(event, member, now)
            if any(event.member_id in run.tally.by_member for run in runs.values()):
                found.qualifying[event.member_id] = int(member.get("qualifying_points_12m", 0))
    return found


def _replay_in_a_process(
    url: str, spec: dict[str, Any], offer: bool, since: datetime, now: datetime, part: int, n: int
) -> Part:
    """One part of the history, in a process of its own (its own engine and rule book)."""

    async def run() -> Part:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            draft = OfferSpec.model_validate(spec) if offer else RuleSpec.model_validate(spec)
            return await _replay_part(
                sessions, RuleBook(sessions), draft, since=since, now=now, part=part, parts=n
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _replayed(
    sessions: Sessions,
    book: RuleBook,
    spec: RuleSpec | OfferSpec,
    *,
    since: datetime,
    now: datetime,
    processes: int,
) -> Part:
    """The history replayed: split by member over ``processes`` (caps count per member, so
    parts are independent) on PostgreSQL when the draft has no budget (a budget is spent in
    the order of all members' events: one process then)."""
    budget = spec.budget if isinstance(spec, OfferSpec) else spec.caps.budget
    engine = sessions.kw["bind"]
    if processes <= 1 or budget is not None or engine.dialect.name != "postgresql":
        return await _replay_part(sessions, book, spec, since=since, now=now)
    url = engine.url.render_as_string(hide_password=False)
    document = spec.model_dump(mode="json")
    offer = isinstance(spec, OfferSpec)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, _replay_in_a_process, url, document, offer, since, now, k, processes
                )
                for k in range(processes)
            )
        )
    whole = parts[0]
    for other in parts[1:]:
        whole.add(other)
    return whole


async def replay(
    sessions: Sessions,
    book: RuleBook,
    spec: RuleSpec | OfferSpec,
    *,
    days: int,
    now: datetime,
    point_value: Decimal,
    processes: int = 1,
) -> dict[str, Any]:
    started = time.perf_counter()
    if isinstance(spec, OfferSpec) and not spec.to_offer(1).gives_points:
        raise ValueError("a cheaper reward has no points to replay: its cost shows as redeemed")
    book = await book.refreshed()
    since = now - timedelta(days=days)
    found = await _replayed(sessions, book, spec, since=since, now=now, processes=processes)
    draft_run, live_run = found.tallies.get("draft"), found.tallies.get("live")
    moves: Counter[str] = Counter()
    for member_id in set(draft_run.by_member if draft_run else ()) | set(
        live_run.by_member if live_run else ()
    ):
        before = found.qualifying.get(member_id, 0)
        extra = (draft_run.by_member[member_id] if draft_run else 0) - (
            live_run.by_member[member_id] if live_run else 0
        )
        was, would = _tier(before, book.tiers), _tier(before + extra, book.tiers)
        if was != would:
            moves[f"{was or '-'} → {would or '-'}"] += 1
    result: dict[str, Any] = {
        "rule_id": _rule_id(spec),
        "days": days,
        "since": since.isoformat(),
        "events": found.events,
        "draft": draft_run.summary(point_value) if draft_run else None,
        "live": live_run.summary(point_value) if live_run else None,
        "tier_moves": dict(moves),
    }
    draft_points = draft_run.points if draft_run else 0
    live_points = live_run.points if live_run else 0
    result["difference"] = {
        "points": draft_points - live_points,
        "value": cost(draft_points - live_points, point_value),
        "members": (len(draft_run.by_member) if draft_run else 0)
        - (len(live_run.by_member) if live_run else 0),
    }
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
