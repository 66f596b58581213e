"""What an event is worth. Pure: the standard library only."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal


@dataclass(frozen=True, slots=True)
class Purchase:
    currency: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class LoyaltyEvent:
    event_id: str
    event_type: str
    member_id: str
    occurred_at: datetime
    purchase: Purchase | None = None


@dataclass(frozen=True, slots=True)
class Award:
    """Points one rule grants one member for one event, with the reason in plain words."""

    member_id: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    source_event_type: str
    awarded_at: datetime


@dataclass(frozen=True, slots=True)
class PointsPerCurrencyUnit:
    """The base earning rule: whole points per whole unit of currency spent."""

    rule_id: str = "base-earn"
    version: int = 1
    points_per_unit: int = 1

    def evaluate(self, event: LoyaltyEvent) -> Award | None:
        if event.purchase is None:
            return None
        units = int(event.purchase.total.to_integral_value(rounding=ROUND_FLOOR))
        points = units * self.points_per_unit
        if points <= 0:
            return None
        return Award(
            member_id=event.member_id,
            points=points,
            rule_id=self.rule_id,
            rule_version=self.version,
            explanation=(
                f"{self.points_per_unit} point per whole {event.purchase.currency} "
                f"spent ({event.purchase.total} {event.purchase.currency})"
            ),
            source_event_id=event.event_id,
            source_event_type=event.event_type,
            awarded_at=event.occurred_at,
        )


def evaluate(event: LoyaltyEvent, rules: tuple[PointsPerCurrencyUnit, ...]) -> list[Award]:
    return [award for rule in rules if (award := rule.evaluate(event)) is not None]
