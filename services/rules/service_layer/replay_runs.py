"""One version of a rule or offer replayed over history: its scratch members (caps' usage),
its budget, and the tally of what it gave."""

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.rules.adapters.facts import facts as facts_of
from services.rules.domain.audiences import OfferHolding
from services.rules.domain.engine import Compiled, evaluate
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.rules import Multiplier
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.views import cost

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


class Run:
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


def base_rules(target: Compiled, book: RuleBook) -> list[Compiled]:
    """What a multiplier multiplies (the program's rules; it needs their points); nothing
    for any other effect: it is replayed alone."""
    if not isinstance(target.rule.effect, Multiplier):
        return []
    return [c for c in book.rules if c.offer is None and c.rule.rule_id != target.rule.rule_id]
