"""What the rules service is asked to do."""

from dataclasses import dataclass

from services.rules.domain.model import LoyaltyEvent


@dataclass(frozen=True, slots=True)
class EvaluateEvent:
    event: LoyaltyEvent
