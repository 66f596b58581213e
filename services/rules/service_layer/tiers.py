"""What the rule book answers besides deciding: a member's tier (up as soon as the points
allow, down only at the yearly review), the budgets a chunk locks, who funds which rule."""

from collections.abc import Sequence

from services.rules.adapters.cel_engine import CelPredicate
from services.rules.adapters.rule_specs import TierSpec
from services.rules.domain.challenges import Challenge
from services.rules.domain.engine import Compiled
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent


class Lookups:
    """A part of the rule book: its tiers, rules and challenges, looked up."""

    tiers: list[TierSpec]
    rules: Sequence[Compiled]
    challenges: list[tuple[Challenge, CelPredicate]]

    def budgets_for(self, event_types: set[str]) -> dict[str, int]:
        """The budgets of the rules that may award for these event types, or that a return
        may refund (any rule may have awarded the purchase): the rows a chunk of such events
        locks (all at once, in one order, so replicas never deadlock)."""
        refunds = "purchase.returned" in event_types
        return {
            c.rule.rule_id: c.rule.caps.budget
            for c in self.rules
            if c.rule.caps.budget is not None and (refunds or event_types & set(c.rule.event_types))
        }

    @property
    def funders(self) -> dict[str, str]:
        """Rule id -> the partner funding its points (rules, offers and challenges)."""
        if self._funders is None:
            funded = {c.rule.rule_id: c.rule.funded_by for c in self.rules}
            funded |= {c.rule_id: c.funded_by for c, _ in self.challenges}
            self._funders = {rule: by for rule, by in funded.items() if by}
        return self._funders

    _funders: dict[str, str] | None = None

    def lowest_tier(self) -> str:
        return min(self.tiers, key=lambda t: t.min_points).name if self.tiers else "base"

    def tier_for(self, member: MemberState, event: LoyaltyEvent, *, review: bool = False) -> str:
        """The member's tier after ``event``: up as soon as the points earned over 12 months
        allow; down only at a ``review`` (the membership anniversary), never after a quiet
        month."""
        qualifying = member.qualifying_points_12m(event.occurred_at)
        reached = [t for t in self.tiers if qualifying >= t.min_points]
        best = max(reached, key=lambda t: t.min_points, default=None)
        if best is None:
            return member.tier
        current = {t.name: t.min_points for t in self.tiers}.get(member.tier, 0)
        return best.name if review or best.min_points > current else member.tier
