"""Loyalty events as the rules see them, and the awards they decide. Pure: stdlib only."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.rules.domain.member import MemberState


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    sku: str
    category: str
    quantity: Decimal
    unit_price: Decimal
    tags: tuple[str, ...] = ()
    # What the sender added beside the known fields (a brand, a supplier): conditions read
    # them as line.attributes.<name>.
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class Purchase:
    currency: str
    total: Decimal
    lines: tuple[PurchaseLine, ...] = ()
    paid_with_points: Decimal = Decimal(0)
    # A purchase in another currency than the program's is counted in the program's
    # (exchange.to_program_currency): what it was paid in, and at which rate.
    paid_in: str | None = None
    paid_in_total: Decimal = Decimal(0)
    paid_in_paid: Decimal = Decimal(0)
    rate: Decimal = Decimal(1)

    @property
    def paid(self) -> Decimal:
        """What earns points: the amount actually paid, not the part paid with points."""
        return max(self.total - self.paid_with_points, Decimal(0))

    def as_paid(self, amount: Decimal) -> Decimal:
        """``amount`` (in the program's currency, a part of this purchase) in the currency
        the purchase was paid in."""
        if self.paid_in is None:
            return amount
        if amount == self.paid:
            return self.paid_in_paid
        return (amount / self.rate).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Return:
    original_event_id: str  # the purchase's key (its source + id)
    currency: str
    amount: Decimal
    # The purchase's id as its sender wrote it: how the member and the till name it, and how
    # purchases recorded before events were keyed on source + id are found.
    original_id: str = ""

    def purchase_keys(self) -> tuple[str, ...]:
        return (
            (self.original_event_id, self.original_id)
            if self.original_id
            else (self.original_event_id,)
        )


@dataclass(frozen=True, slots=True)
class LoyaltyEvent:
    event_id: str  # the event's key: its source + id as one string (envelope.event_key)
    event_type: str
    member_id: str
    occurred_at: datetime
    purchase: Purchase | None = None
    returned: Return | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the payload, for conditions
    source: str = ""  # the event's source and id as its sender wrote them
    sent_id: str = ""


@dataclass(frozen=True, slots=True)
class Award:
    """Points one rule grants one member for one event, with the reason in plain words."""

    member_id: str
    points: int
    rule_id: str
    rule_version: int
    driver: str
    explanation: str
    source_event_id: str
    source_event_type: str
    awarded_at: datetime
    pending_until: datetime | None = None
    funded_by: str | None = None
    notice: str | None = None  # the message its rule asks for
    language: str = "en"  # of the explanation
    amount: Decimal = Decimal(0)  # what the points were counted on (to explain them again)
    paid_in: str | None = None  # a purchase in another currency: that currency, and the
    paid_amount: Decimal = Decimal(0)  # amount in it

    def explained(self) -> dict[str, Any]:
        """The values its rule's explanation is written from (engine.explain)."""
        return explained(self.points, self.amount, self.paid_in, self.paid_amount)


def explained(
    points: int, amount: Decimal, paid_in: str | None, paid_amount: Decimal
) -> dict[str, Any]:
    """The values an award's explanation is written from, before the award is made."""
    values: dict[str, Any] = {"points": points, "amount": amount}
    if paid_in is not None:
        values |= {"paid_in": paid_in, "paid_amount": paid_amount, "amount_counted": amount > 0}
    return values


@dataclass(frozen=True, slots=True)
class Revocation:
    """Points a rule takes back because the event it awarded them for was (partly) undone."""

    member_id: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    revokes_event_id: str
    source_event_id: str
    revoked_at: datetime
    language: str = "en"  # of the explanation
    funded_by: str | None = None  # the partner its rule's points were funded by


@dataclass(frozen=True, slots=True)
class TierChange:
    member_id: str
    previous: str
    tier: str
    qualifying_points: int
    changed_at: datetime
    cause_event_id: str
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # tier -> language -> name


@dataclass(frozen=True, slots=True)
class Decision:
    """What one event did: awards, revocations, a tier change, and the member after it."""

    member: MemberState
    awards: list[Award] = field(default_factory=list)
    revocations: list[Revocation] = field(default_factory=list)
    tier_change: TierChange | None = None
    # Other members it gave points to (a referral's friend): their caps' usage changed too.
    others: list[MemberState] = field(default_factory=list)
