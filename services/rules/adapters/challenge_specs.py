"""Challenges, the ladder's stages and partners as documents (JSON over the admin API, YAML):
validated, then made domain objects."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.rules.adapters.offer_specs import SLUG
from services.rules.domain import challenges as c
from services.rules.domain.ladder import Stage
from services.rules.domain.rules import LANGUAGES
from shared.contracts.inbound import INBOUND_TYPES
from shared.contracts.numbers import INTEGER, Moment

_Texts = dict[str, Annotated[str, Field(max_length=500)]]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _languages(*texts: dict[str, str]) -> None:
    if unknown := sorted({lang for t in texts for lang in t} - set(LANGUAGES)):
        raise ValueError(f"languages {', '.join(unknown)}: expected en, da, sv")


class BadgeSpec(_Spec):
    id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: _Texts = Field(description="language -> the badge's name")
    icon: str = Field(default="★", min_length=1, max_length=4, description="an emoji or symbol")


class ChallengeSpec(_Spec):
    """A challenge as a program manager writes it."""

    id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: _Texts = Field(description="language (en, da, sv) -> the challenge's name")
    description: _Texts = Field(default_factory=dict, description="language -> what it asks")
    goal: c.Goal = Field(
        description="count: events that meet the condition; weeks_in_a_row: calendar weeks "
        "with one, none skipped; categories: different product categories bought"
    )
    target: Annotated[int, Field(ge=1, le=1000), INTEGER]
    events: list[str] = Field(default_factory=lambda: ["purchase.completed"], min_length=1)
    condition: str = Field(default="true", min_length=1, max_length=2000)
    active_from: Moment | None = None
    active_until: Moment | None = None
    rolling_days: Annotated[int, Field(ge=1, le=3660), INTEGER] | None = Field(
        default=None, description="the window starts at each member's first step"
    )
    audience: str | None = Field(default=None, max_length=100, pattern=SLUG)
    points: Annotated[int, Field(ge=0, le=10**7), INTEGER] = 0
    badge: BadgeSpec | None = None
    reward_id: str | None = Field(
        default=None,
        max_length=100,
        pattern=SLUG,
        description="a reward of the ledger's catalogue, given free as a voucher on completion",
    )
    nudge: bool = Field(default=False, strict=True, description="a message when one step is left")
    funded_by: str | None = Field(default=None, max_length=100, pattern=SLUG)
    enabled: bool = Field(default=True, strict=True)

    @model_validator(mode="after")
    def _sound(self) -> "ChallengeSpec":
        if "en" not in self.name:
            raise ValueError("name: an English name is needed (members of any language)")
        _languages(self.name, self.description, self.badge.name if self.badge else {})
        if self.badge is not None and "en" not in self.badge.name:
            raise ValueError("badge.name: an English name is needed")
        if unknown := sorted(set(self.events) - set(INBOUND_TYPES)):
            raise ValueError(f"events: unknown {', '.join(unknown)}; known: {_known()}")
        if self.goal == c.Goal.CATEGORIES and self.events != ["purchase.completed"]:
            raise ValueError("events: categories are counted on purchase.completed only")
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            raise ValueError("active_until must be after active_from")
        if not (self.points or self.badge or self.reward_id):
            raise ValueError("a reward is needed: points, a badge or a catalogue reward")
        return self

    def to_challenge(self, version: int) -> c.Challenge:
        badge = None
        if self.badge is not None:
            badge = c.Badge(self.badge.id, dict(self.badge.name), self.badge.icon)
        return c.Challenge(
            challenge_id=self.id,
            version=version,
            name=dict(self.name),
            description=dict(self.description),
            goal=self.goal,
            target=self.target,
            event_types=tuple(self.events),
            condition=self.condition,
            active_from=self.active_from,
            active_until=self.active_until,
            rolling_days=self.rolling_days,
            audience=self.audience,
            points=self.points,
            badge=badge,
            reward_id=self.reward_id,
            nudge=self.nudge,
            funded_by=self.funded_by,
            enabled=self.enabled,
        )


def _known() -> str:
    return ", ".join(sorted(INBOUND_TYPES))


class StageSpec(_Spec):
    id: str = Field(min_length=1, max_length=50, pattern=SLUG)
    name: _Texts
    description: _Texts = Field(default_factory=dict)
    condition: str = Field(min_length=1, max_length=2000, description="CEL over member")
    rank: Annotated[int, Field(ge=-100, le=100), INTEGER] = 0


class LadderSpec(_Spec):
    """The ladder's stages, tried in order: the first whose condition holds is the member's."""

    stages: list[StageSpec] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> "LadderSpec":
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("stages: each id once")
        for stage in self.stages:
            if "en" not in stage.name:
                raise ValueError(f"stage {stage.id}: an English name is needed")
            _languages(stage.name, stage.description)
        return self

    def to_stages(self) -> list[Stage]:
        return [
            Stage(s.id, dict(s.name), s.condition, dict(s.description), s.rank) for s in self.stages
        ]


class PartnerSpec(_Spec):
    """A partner who funds points: what it may post, and what its contract makes it pay."""

    id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    events: list[str] = Field(
        default_factory=lambda: ["purchase.completed"],
        description="the event types its key may post (source partners/<id>)",
    )
    pays_redemptions: bool = Field(
        default=False, strict=True, description="it pays for its own rewards when redeemed"
    )
    point_value: Decimal | None = Field(
        default=None, gt=0, le=1000, description="what it pays per point (default: the program's)"
    )
    enabled: bool = Field(default=True, strict=True)

    @model_validator(mode="after")
    def _known_events(self) -> "PartnerSpec":
        if unknown := sorted(set(self.events) - set(INBOUND_TYPES)):
            raise ValueError(f"events: unknown {', '.join(unknown)}; known: {_known()}")
        return self
