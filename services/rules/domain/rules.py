"""Rules as data: what a program manager configures, versioned. Pure: the standard library only.

Conditions and line filters are expressions (CEL) over the event's and member's facts; the
domain holds their source, an adapter compiles them (see ``engine.Compiled``).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

LANGUAGES = ("en", "da", "sv")


class Driver(StrEnum):
    ECONOMIC = "economic"
    STRUCTURAL = "structural"
    EMOTIONAL = "emotional"


class Rounding(StrEnum):
    FLOOR = "floor"
    HALF_UP = "half_up"
    CEILING = "ceiling"


@dataclass(frozen=True, slots=True)
class PointsPerAmount:
    """``points`` for every ``per`` of currency paid, on the whole purchase or matching lines."""

    points: Decimal
    per: Decimal = Decimal(1)
    rounding: Rounding = Rounding.FLOOR
    lines: str | None = None  # a line filter, e.g. 'line.category == "dairy"'


@dataclass(frozen=True, slots=True)
class FixedPoints:
    points: int


@dataclass(frozen=True, slots=True)
class ThresholdBonus:
    """``points`` once the amount paid reaches ``min_amount``."""

    min_amount: Decimal
    points: int


@dataclass(frozen=True, slots=True)
class LinePoints:
    """``points_per_unit`` for each unit (quantity) of the lines the filter matches."""

    lines: str
    points_per_unit: int


@dataclass(frozen=True, slots=True)
class Multiplier:
    """Adds ``factor - 1`` times the points other rules awarded for the same event (all of them,
    or those named in ``applies_to``): tier and campaign multipliers."""

    factor: Decimal
    applies_to: tuple[str, ...] = ()
    rounding: Rounding = Rounding.FLOOR


Effect = PointsPerAmount | FixedPoints | ThresholdBonus | LinePoints | Multiplier


@dataclass(frozen=True, slots=True)
class Caps:
    per_member_per_day: int | None = None
    per_member_per_month: int | None = None
    once_per_member: bool = False
    once_per_year: bool = False  # birthdays, anniversaries
    budget: int | None = None  # total points this rule may award across all members
    per_member_total: int | None = None  # points one member may get from it, ever


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    version: int
    name: str
    driver: Driver
    event_types: tuple[str, ...]
    effect: Effect
    explanation: dict[str, str]  # language -> template with $points, $amount, $currency, $name
    condition: str = "true"
    active_from: datetime | None = None
    active_until: datetime | None = None
    caps: Caps = field(default_factory=Caps)
    priority: int = 0
    stacks: bool = True  # False: only the highest-priority non-stacking rule applies
    pending_days: int | None = None  # points stay pending (the return window) this long
    funded_by: str | None = None  # a partner paying for these points
    # Award someone else than the event's member: the member id in this field of the event's
    # data (e.g. "referred_member_id", so that both sides of a referral are rewarded).
    beneficiary: str | None = None
    enabled: bool = True
    notice: str | None = None  # the message members get for its points (None: the usual)

    def is_active(self, moment: datetime) -> bool:
        return (
            self.enabled
            and (self.active_from is None or self.active_from <= moment)
            and (self.active_until is None or moment < self.active_until)
        )
