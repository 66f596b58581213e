"""Audiences and offers: who gets what, and who is kept back to prove it worked. Pure.

An **audience** is a named condition over a member's facts (recency, frequency, spend, RFM,
tier, categories, NPS group ...). Membership is kept current: after every event a member's
audiences are evaluated again, and a daily pass moves those whom time alone moves.

An **offer** gives an audience a benefit (extra points on matching purchases) in a window,
with a budget and a per-member limit. It may keep a **control group**: a stable share of the
audience, chosen by a hash of member and offer (so every replica, and a replay, agrees), who
qualify but never receive it; the lift report compares the two groups.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from services.rules.domain.ladder import StageMove
from services.rules.domain.rules import Caps, Driver, Effect, Rule

OFFER_RULE_PREFIX = "offer:"  # an offer's points are booked under rule id "offer:<id>"


class Group(StrEnum):
    TREATED = "treated"
    CONTROL = "control"


def in_control(member_id: str, offer_id: str, share: Decimal) -> bool:
    """Whether the member is in the offer's control group: a hash of both, as a number in
    [0, 1), below ``share``. Stable: the same on every replica and in every replay."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{offer_id}\x00{member_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < share


@dataclass(frozen=True, slots=True)
class Audience:
    audience_id: str
    version: int
    name: str
    condition: str  # CEL over ``member``
    description: str = ""


@dataclass(frozen=True, slots=True)
class RewardPrice:
    """A reward from the catalogue for fewer points: the ledger charges ``points`` for
    ``reward_id`` to the members the offer was given to, while it runs."""

    reward_id: str
    points: int


class Activation(StrEnum):
    AUTOMATIC = "automatic"  # applies as soon as the member is in the audience
    CLIP = "clip"  # the member activates it in the wallet first


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    version: int
    name: dict[str, str]  # language -> what the member reads
    audience: str
    effect: Effect | RewardPrice
    explanation: dict[str, str]  # language -> template, as a rule's
    description: dict[str, str] = field(default_factory=dict)
    condition: str = "true"  # on the event, as a rule's (e.g. a minimum basket)
    event_types: tuple[str, ...] = ("purchase.completed",)
    active_from: datetime | None = None
    active_until: datetime | None = None
    budget: int | None = None
    per_member_limit: int | None = None  # points one member may get from it
    activation: Activation = Activation.AUTOMATIC
    control_share: Decimal = Decimal(0)
    driver: Driver = Driver.ECONOMIC
    funded_by: str | None = None
    enabled: bool = True

    @property
    def rule_id(self) -> str:
        return OFFER_RULE_PREFIX + self.offer_id

    @property
    def gives_points(self) -> bool:
        """Points on purchases (a rule the engine evaluates); else a cheaper reward."""
        return not isinstance(self.effect, RewardPrice)

    def is_live(self, moment: datetime) -> bool:
        return (
            self.enabled
            and (self.active_from is None or self.active_from <= moment)
            and (self.active_until is None or moment < self.active_until)
        )

    def group_of(self, member_id: str) -> Group:
        control = in_control(member_id, self.offer_id, self.control_share)
        return Group.CONTROL if control else Group.TREATED

    def admits(self, offers: Mapping[str, "OfferHolding"], member_id: str) -> bool:
        """Whether the offer applies to this member now: they hold it (it became theirs when
        they entered its audience), are not in its control group, and, for an offer to clip,
        have activated it."""
        held = offers.get(self.offer_id)
        if held is None or held.group != Group.TREATED or self.group_of(member_id) != held.group:
            return False
        return self.activation == Activation.AUTOMATIC or held.activated_at is not None

    def to_rule(self) -> Rule:
        """The rule the engine evaluates for it (its gate, :meth:`admits`, is checked apart);
        an offer of a cheaper reward has none (ValueError)."""
        if isinstance(self.effect, RewardPrice):
            raise ValueError(f"offer {self.offer_id} gives a cheaper reward, not points")
        return Rule(
            rule_id=self.rule_id,
            version=self.version,
            name=self.name.get("en") or next(iter(self.name.values()), self.offer_id),
            driver=self.driver,
            event_types=self.event_types,
            effect=self.effect,
            explanation=dict(self.explanation),
            condition=self.condition,
            active_from=self.active_from,
            active_until=self.active_until,
            caps=Caps(budget=self.budget, per_member_total=self.per_member_limit),
            funded_by=self.funded_by,
            enabled=self.enabled,
        )


@dataclass(slots=True)
class OfferHolding:
    """An offer that became a member's (or would have, for the control group)."""

    group: Group
    since: datetime
    activated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """A member entering (or leaving) an audience, at a moment."""

    audience_id: str
    member_id: str
    entered: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    """An offer becoming a member's: the treated are told, the control group is only counted."""

    offer: Offer
    member_id: str
    group: Group
    at: datetime
    language: str = "en"


@dataclass(slots=True)
class Placement:
    """What re-evaluating one member's audiences changed."""

    moves: list[Move] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    stage: StageMove | None = None  # the member's new ladder stage
