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
import dataclasses
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
from services.rules.adapters.facts import facts as facts_of
from services.rules.adapters.offer_specs import OfferSpec
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.domain.audiences import OfferHolding
from services.rules.domain.engine import Compiled, evaluate
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.rules import Multiplier
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.views import cost
from shared.db import create_engine, session_factory

Sessions = async_sessionmaker[AsyncSession]
TOP = 10


@dataclass
class Tally:
    """What one version gave over (a part of) the history: plain values, so a part replayed
    in another process comes back whole."""

    rule_id: str
    version: int
    points: int = 0
    awards: int = 0
    by_member: Counter[str] = field(default_factory=Counter)
    by_tier: Counter[str] = field(default_factory=Counter)
    by_audience: Counter[str] = field(default_factory=Counter)
    top: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.points += other.points
        self.awards += other.awards
        self.by_member.update(other.by_member)
        self.by_tier.update(other.by_tier)
        self.by_audience.update(other.by_audience)
        self.top = sorted(self.top + other.top, reverse=True)[:TOP]

    def summary(self, point_value: Decimal) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "version": self.version,
            "points": self.points,
            "value": cost(self.points, point_value),
            "awards": self.awards,
            "members": len(self.by_member),
            "by_tier": dict(self.by_tier),
            "by_audience": dict(self.by_audience),
            "largest": [
                {"points": p, "member_id": m, "event_id": e, "explanation": x}
                for p, m, e, x in sorted(self.top, reverse=True)[:TOP]
            ],
        }


class _Run:
    """One version replayed: its scratch members (caps' usage), budget, and what it gave."""

    def __init__(self, target: Compiled, others: Sequence[Compiled]) -> None:
        rule = dataclasses.replace(target.rule, active_from=None, active_until=None)
        self.target = dataclasses.replace(target, rule=rule)
        self.rules = [self.target, *others]
        self.budget_left = rule.caps.budget
        self.members: dict[str, MemberState] = {}
        self.tally = Tally(rule.rule_id, rule.version)
        self.needed = frozenset(
            {"member"}
            | {
                name
                for c in self.rules
                for p in (c.condition, c.line_filter)
                if p is not None
                for name in p.variables
            }
        )

    def feed(self, event: LoyaltyEvent, member: dict[str, Any], now: datetime) -> None:
        if event.event_type not in self.target.rule.event_types:
            return
        state = self.members.get(event.member_id)
        if state is None:
            state = MemberState(event.member_id, language=str(member.get("language", "en")))
            self.members[event.member_id] = state
        offer = self.target.offer
        if (
            offer is not None
            and offer.offer_id not in state.offers
            and offer.audience in member.get("audiences", ())
        ):
            group = offer.group_of(event.member_id)
            state.offers[offer.offer_id] = OfferHolding(group, now, activated_at=now)
        state.tier = str(member.get("tier", state.tier))
        facts = facts_of(event, state, self.needed, member)
        rule_id = self.target.rule.rule_id
        for award in evaluate(event, facts, self.rules, state):
            if award.member_id != event.member_id or award.rule_id != rule_id:
                continue
            points = award.points
            if self.budget_left is not None:
                points = min(points, self.budget_left)
                self.budget_left -= points
            if points <= 0:
                continue
            tally = self.tally
            tally.points += points
            tally.awards += 1
            tally.by_member[award.member_id] += points
            tally.by_tier[state.tier] += points
            for audience in member.get("audiences", ()):
                tally.by_audience[audience] += points
            named = event.sent_id or event.event_id
            tally.top.append((points, award.member_id, named, award.explanation))
            if len(tally.top) > 4 * TOP:
                tally.top = sorted(tally.top, reverse=True)[:TOP]


def _base_rules(target: Compiled, book: RuleBook) -> list[Compiled]:
    """What a multiplier multiplies (the program's rules; it needs their points); nothing
    for any other effect: it is replayed alone."""
    if not isinstance(target.rule.effect, Multiplier):
        return []
    return [c for c in book.rules if c.offer is None and c.rule.rule_id != target.rule.rule_id]


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
        name: _Run(target, _base_rules(target, book))
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
