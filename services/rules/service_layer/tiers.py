"""A member's tier: up as soon as the points allow, down only at the yearly review."""

from services.rules.adapters.rule_specs import TierSpec
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent


class Tiers:
    """The program's tiers, and where a member stands among them (a part of the rule book)."""

    tiers: list[TierSpec]

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
