"""Payloads on ``loyalty.awards.v1``: what the rules decided an event is worth (or no longer)."""

from typing import Literal, Self, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

POINTS_DECIDED = "points.decided"
# One message per award or revocation: what rules before the set-based pipeline wrote. Still
# read by the ledger, so messages of both shapes may be in flight during a rolling upgrade.
POINTS_AWARDED = "points.awarded"
POINTS_REVOKED = "points.revoked"
MEMBER_TIER_CHANGED = "member.tier_changed"
MEMBER_PROFILE_CHANGED = "member.profile_changed"
OFFER_GRANTED = "offer.granted"
CHALLENGE_COMPLETED = "challenge.completed"
CHALLENGE_PROGRESSED = "challenge.progressed"

_Id = Field(min_length=1, max_length=200)


class PointsAwarded(BaseModel):
    """Points a rule awarded a member for one event; ``award_id`` = f(event id, rule id).

    With ``pending_until`` the points stay pending (a return window) and mature then.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    award_id: str = _Id
    member_id: str = _Id
    points: int = Field(gt=0, le=1_000_000_000)
    rule_id: str = _Id
    rule_version: int = Field(ge=1)
    driver: str | None = Field(default=None, description="economic, structural or emotional")
    explanation: str = Field(min_length=1, max_length=500)
    source_event_id: str = _Id
    source_event_type: str = _Id
    awarded_at: AwareDatetime
    pending_until: AwareDatetime | None = None
    funded_by: str | None = Field(default=None, description="a partner paying for the points")


class PointsRevoked(BaseModel):
    """Points a rule takes back, e.g. for a return: from what ``revokes_event_id`` earned,
    pending first, then available; if they were spent, the member owes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revocation_id: str = _Id
    member_id: str = _Id
    points: int = Field(gt=0, le=1_000_000_000)
    revokes_event_id: str = _Id
    rule_id: str = _Id
    rule_version: int = Field(ge=1)
    explanation: str = Field(min_length=1, max_length=500)
    source_event_id: str = _Id
    revoked_at: AwareDatetime


class TierChanged(BaseModel):
    """A member reached (or, at the membership anniversary, left) a tier. No points move."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str = _Id
    tier: str = Field(min_length=1, max_length=50)
    previous_tier: str = Field(min_length=1, max_length=50)
    qualifying_points: int
    changed_at: AwareDatetime
    tier_names: dict[str, str] = Field(
        default_factory=dict, description="the tier's name per language (en, da, sv)"
    )
    previous_tier_names: dict[str, str] = Field(default_factory=dict)


class ProfileConsents(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: bool
    push: bool


class ProfileChanged(BaseModel):
    """What a member told us about themselves (enrolment or a profile event), for the services
    that speak to them. A field that is None was not stated: it changes nothing. ``stated_at``
    is when the member said it (the cause's time): the newest statement wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str = _Id
    source_event_id: str = _Id
    stated_at: AwareDatetime
    language: str | None = Field(default=None, max_length=10)
    timezone: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=320)
    push_token: str | None = Field(default=None, max_length=400)
    phone: str | None = Field(default=None, max_length=20, description="E.164: +4512345678")
    consents: ProfileConsents | None = None


class OfferGranted(BaseModel):
    """An offer became the member's (they entered its audience while it runs, and are not in
    its control group): the member is told once, in their language. No points move."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str = _Id
    offer_id: str = Field(min_length=1, max_length=100)
    offer_version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=500, description="in the member's language")
    description: str = Field(default="", max_length=2000)
    language: str = Field(max_length=10, description="of name and description")
    needs_activation: bool = Field(description="the member activates it in the wallet first")
    valid_until: AwareDatetime | None = None
    granted_at: AwareDatetime
    reward_id: str | None = Field(
        default=None, max_length=100, description="an offer of a cheaper reward: which"
    )
    reward_points: int | None = Field(
        default=None, ge=0, le=10**9, description="and what it costs the member"
    )


class ChallengeNews(BaseModel):
    """A member completed a challenge (``challenge.completed``: its points come as a
    ``points.decided`` of rule ``challenge:<id>``; a badge, and a catalogue reward the ledger
    gives free as a voucher, with it) or has one step left (``challenge.progressed``, when the
    challenge asks to nudge)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str = _Id
    challenge_id: str = Field(min_length=1, max_length=100)
    challenge_version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=500, description="in the member's language")
    language: str = Field(max_length=10, description="of the name and badge")
    progress: int = Field(ge=0, description="steps made")
    target: int = Field(ge=1, description="steps the goal asks for")
    points: int = Field(default=0, ge=0, description="the points its completion gave")
    badge_id: str | None = Field(default=None, max_length=100)
    badge_name: str | None = Field(default=None, max_length=500)
    badge_icon: str | None = Field(default=None, max_length=4)
    reward_id: str | None = Field(
        default=None, max_length=100, description="a catalogue reward the ledger gives free"
    )
    at: AwareDatetime


# The message a member gets for points a rule awarded, when not the usual points message: a
# rule says which (``notice`` in its spec), so renaming a rule never changes what is sent.
NoticeKind = Literal["welcome", "birthday", "goodwill"]
NOTICE_KINDS: tuple[str, ...] = get_args(NoticeKind)
# Before rules named their notice (0.1) the notification service chose these messages by the
# default program's rule ids: what a spec stored then, and a ledger event sent then, mean.
# Read so during a rolling upgrade from 0.1; dropped in 0.3.
NOTICES_OF_DEFAULT_RULES: dict[str, NoticeKind] = {
    "welcome": "welcome",
    "referred-welcome": "welcome",
    "birthday": "birthday",
    "goodwill": "goodwill",
}


class AwardedPart(BaseModel):
    """What one rule awarded, inside a :class:`PointsDecided`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    award_id: str = _Id
    points: int = Field(gt=0, le=1_000_000_000)
    rule_id: str = _Id
    rule_version: int = Field(ge=1)
    driver: str | None = Field(default=None, description="economic, structural or emotional")
    explanation: str = Field(min_length=1, max_length=500)
    pending_until: AwareDatetime | None = None
    funded_by: str | None = Field(default=None, description="a partner paying for the points")
    notice: NoticeKind | None = Field(
        default=None, description="the message the member gets for it (None: the points message)"
    )


class RevokedPart(BaseModel):
    """What one rule took back, inside a :class:`PointsDecided`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revocation_id: str = _Id
    points: int = Field(gt=0, le=1_000_000_000)
    revokes_event_id: str = _Id
    revokes_award_id: str | None = Field(
        default=None, description="the award taken back: its points go first"
    )
    rule_id: str = _Id
    rule_version: int = Field(ge=1)
    explanation: str = Field(min_length=1, max_length=500)


class PointsDecided(BaseModel):
    """Everything one event is worth to one member: every rule's award (or, for a return,
    every rule's take-back), each with its rule, version, driver and explanation.

    ``decision_id`` = f(source event id, member id): a replay gives the same id, and the ledger
    books the decision as one operation under it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision_id: str = _Id
    member_id: str = _Id
    source_event_id: str = _Id
    source_event_type: str = _Id
    decided_at: AwareDatetime
    awards: list[AwardedPart] = Field(default_factory=list, max_length=1000)
    revocations: list[RevokedPart] = Field(default_factory=list, max_length=1000)
    language: str | None = Field(
        default=None, max_length=10, description="of every explanation in it (None: unknown)"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if bool(self.awards) == bool(self.revocations):
            raise ValueError("a decision carries awards or revocations: one kind, at least one")
        return self
