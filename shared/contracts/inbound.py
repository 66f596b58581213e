"""Payloads of the inbound event types on ``loyalty.events.v1`` (design.md §3)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal, TypeVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
)

from shared.contracts.contact import Phone
from shared.contracts.currencies import Currency, Money
from shared.contracts.custom import OpenPayload
from shared.contracts.envelope import MEMBER_ID_MAX, MEMBER_ID_PATTERN, CloudEvent, InvalidMessage
from shared.contracts.erasure import ERASURE_REQUESTED, ErasureRequested

OFFER_ACTIVATED = "offer.activated"

Channel = Literal["pos", "web", "app"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineItem(OpenPayload):
    sku: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=100)
    quantity: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
    unit_price: Money
    tags: list[str] = Field(default_factory=list, max_length=20)


class PurchaseCompleted(OpenPayload):
    """A purchase at a till or in a web shop: its total and lines, in the currency paid."""

    purchase_id: str = Field(min_length=1, max_length=200)
    channel: Channel
    store_id: str | None = Field(default=None, max_length=100)
    currency: Currency
    total: Money = Field(description="the amount paid, after discounts and vouchers")
    paid_with_points: Money = Field(
        default=Decimal(0), description="the part of the total paid with points: earns nothing"
    )
    lines: list[LineItem] = Field(default_factory=list, max_length=1000)


class ReturnedLine(_Payload):
    sku: str = Field(min_length=1, max_length=100)
    quantity: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]


class PurchaseReturned(OpenPayload):
    """A full (no ``lines``) or partial return of an earlier purchase."""

    return_id: str = Field(min_length=1, max_length=200)
    original_event_id: str = Field(
        min_length=1, max_length=200, description="the purchase's CloudEvent id"
    )
    original_source: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the purchase's CloudEvent source, when another than the return's own "
        "(a return at another store than the sale)",
    )
    currency: Currency
    amount: Money
    lines: list[ReturnedLine] = Field(default_factory=list, max_length=1000)


def _known_zone(name: str | None) -> str | None:
    if name is not None and name not in _ZONES:
        raise ValueError(f"{name!r} is not an IANA timezone, e.g. Europe/Copenhagen")
    return name


_ZONES = frozenset(available_timezones())
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="e.g. da, sv-SE")]
Timezone = Annotated[
    str | None,
    Field(default=None, max_length=60, description="IANA, e.g. Europe/Oslo"),
    AfterValidator(_known_zone),
]


class Consents(_Payload):
    """What the member agreed to be sent (Danish and Swedish marketing law: email and push
    marketing only with consent); receipts (a voucher) are service messages, sent anyway."""

    email: bool = False
    push: bool = False


class _Profile(OpenPayload):
    """What a member tells us about themselves; a field left out is not changed."""

    timezone: Timezone = None
    email: EmailStr | None = Field(default=None, max_length=320)
    push_token: str | None = Field(default=None, min_length=1, max_length=400)
    phone: Phone | None = None
    consents: Consents | None = None


class MemberEnrolled(_Profile):
    """A member joined (at a till, online, in the app): their profile and consents."""

    channel: Channel
    birthday: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    language: Language = "en"

    @field_validator("birthday")
    @classmethod
    def _a_real_day(cls, value: str | None) -> str | None:
        """A day that exists, in a lifetime: 2026-02-30 or 1066-10-14 would be taken at ingest
        and then fail in the rules, which keep the member's birthday as a date."""
        if value is None:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a day of the calendar") from None
        if not date(1900, 1, 1) <= day <= datetime.now(UTC).date():
            raise ValueError(f"{value} is not a birthday: from 1900-01-01 to today")
        return value


class MemberProfileCompleted(_Profile):
    """The member filled in their profile (``fields`` says which)."""

    fields: list[str] = Field(default_factory=list, max_length=50)
    language: Language | None = None


class MemberProfileUpdated(_Profile):
    """A change to the profile (language, timezone, email, push token, consents): no points,
    but every service that speaks to the member hears of it."""

    language: Language | None = None


class MemberActivity(OpenPayload):
    """Something a member did that earns no money: a review, an app visit, an NPS answer."""

    activity: Literal[
        "review",
        "social_share",
        "survey_answer",
        "nps_answer",
        "app_use",
        "digital_receipt",
        "own_bag",
        "self_service",
    ]
    score: int | None = Field(default=None, ge=0, le=10, description="NPS or survey score")
    reference: str | None = Field(default=None, max_length=200)


class ReferralCompleted(OpenPayload):
    """A member brought a friend (``referred_member_id``), who joined."""

    referred_member_id: str = Field(
        min_length=1, max_length=MEMBER_ID_MAX, pattern=MEMBER_ID_PATTERN
    )


class ComplaintOpened(OpenPayload):
    """A member complained: until it is resolved, their ladder stage may fall (Forgive me)."""

    complaint_id: str = Field(min_length=1, max_length=200)
    severity: Literal["low", "medium", "high"] = "medium"


class ComplaintResolved(ComplaintOpened):
    """A complaint of the member's was resolved (goodwill may follow)."""


class OfferActivated(OpenPayload):
    """The member activated ("clipped") an offer in the wallet: from now on it applies."""

    offer_id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")


InboundPayload = (
    PurchaseCompleted
    | PurchaseReturned
    | MemberEnrolled
    | MemberProfileCompleted
    | MemberProfileUpdated
    | MemberActivity
    | ReferralCompleted
    | ComplaintOpened
    | ComplaintResolved
    | OfferActivated
    | ErasureRequested
)

INBOUND_TYPES: dict[str, type[InboundPayload]] = {
    "purchase.completed": PurchaseCompleted,
    "purchase.returned": PurchaseReturned,
    "member.enrolled": MemberEnrolled,
    "member.profile_completed": MemberProfileCompleted,
    "member.profile_updated": MemberProfileUpdated,
    "member.activity": MemberActivity,
    "referral.completed": ReferralCompleted,
    "complaint.opened": ComplaintOpened,
    "complaint.resolved": ComplaintResolved,
    OFFER_ACTIVATED: OfferActivated,
    ERASURE_REQUESTED: ErasureRequested,
}


P = TypeVar("P", bound=BaseModel)


class PayloadError(InvalidMessage):
    """The event's ``type`` is unknown or its ``data`` does not match that type's schema;
    ``fields``: each field at fault (its path in ``data``) and what is wrong with it."""

    def __init__(self, reason: str, fields: list[tuple[list[str], str]] | None = None) -> None:
        super().__init__(reason)
        self.fields = fields or []


def parse_inbound(event: CloudEvent) -> InboundPayload:
    model = INBOUND_TYPES.get(event.type)
    if model is None:
        known = ", ".join(sorted(INBOUND_TYPES))
        raise PayloadError(f"unknown event type {event.type!r}; expected one of: {known}")
    payload = payload_of(event, model)
    if isinstance(payload, ReferralCompleted) and payload.referred_member_id == event.subject:
        why = "a member cannot refer themselves"
        raise PayloadError(f"invalid data for {event.type}: {why}", [(["referred_member_id"], why)])
    return payload


def payload_of(event: CloudEvent, model: type[P]) -> P:
    """The event's ``data`` as ``model``; PayloadError (dead-letter it) saying why not."""
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        fields = [([str(p) for p in e["loc"]], e["msg"]) for e in exc.errors()]
        raise PayloadError(f"invalid data for {event.type}: {exc}", fields) from exc
