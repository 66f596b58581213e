"""Audiences and offers as documents (JSON over the admin API, YAML packs): validated, then
made domain objects."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.rules.adapters.rule_specs import (
    FixedPointsSpec,
    LinePointsSpec,
    MultiplierSpec,
    PointsPerAmountSpec,
    RuleSpec,
)
from services.rules.domain import audiences as a
from services.rules.domain import rules as r
from shared.contracts.names import Name
from shared.contracts.numbers import INTEGER, Moment, Whole

SLUG = r"^[a-z0-9][a-z0-9._-]*$"
# What a member reads for an offer's points when the offer says nothing else.
DEFAULT_EXPLANATION = {
    "en": "$points extra points: the offer $name",
    "da": "$points ekstra point: tilbuddet $name",
    "sv": "$points extra poäng: erbjudandet $name",
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudienceSpec(_Spec):
    """A named group of members: a condition over ``member`` (see the facts reference)."""

    id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: Name(200)  # type: ignore[valid-type]
    description: str = Field(default="", max_length=2000)
    condition: str = Field(
        min_length=1,
        max_length=2000,
        description="CEL over member, e.g. member.days_since_last_purchase >= 60",
    )
    enabled: bool = Field(default=True, strict=True)

    def to_audience(self, version: int) -> a.Audience:
        return a.Audience(self.id, version, self.name, self.condition, self.description)


class RewardPriceSpec(BaseModel):
    """A reward from the catalogue for fewer points, while the offer runs."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["reward_price"]
    reward_id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    points: Whole = Field(ge=0, le=10**9, description="what it costs the offer's members")


OfferEffect = Annotated[
    PointsPerAmountSpec | FixedPointsSpec | LinePointsSpec | MultiplierSpec | RewardPriceSpec,
    Field(discriminator="type"),
]
_Name = Name(500, 1)


class OfferSpec(_Spec):
    """An offer as a program manager writes it."""

    id: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: dict[str, _Name] = Field(  # type: ignore[valid-type]
        description="language (en, da, sv) -> the offer's name"
    )
    description: dict[str, str] = Field(
        default_factory=dict, description="language -> what the member reads in the wallet"
    )
    audience: str = Field(min_length=1, max_length=100, pattern=SLUG)
    effect: OfferEffect = Field(
        description="the benefit: points per amount (on matching lines), fixed points, points "
        "per unit, or a multiplier of what the program's rules give"
    )
    explanation: dict[str, str] = Field(
        default_factory=dict, description="language -> template, as a rule's (default: named)"
    )
    condition: str = Field(default="true", max_length=2000)
    events: list[str] = Field(default_factory=lambda: ["purchase.completed"], min_length=1)
    active_from: Moment | None = None
    active_until: Moment | None = None
    budget: Annotated[int, Field(gt=0, le=10**15), INTEGER] | None = None
    per_member_limit: Annotated[int, Field(gt=0, le=10**9), INTEGER] | None = Field(
        default=None, description="points one member may get from the offer"
    )
    activation: a.Activation = a.Activation.AUTOMATIC
    control_share: Decimal = Field(
        default=Decimal(0), ge=0, le=Decimal("0.5"), description="share kept back, 0-0.5"
    )
    driver: r.Driver = r.Driver.ECONOMIC
    funded_by: str | None = Field(default=None, max_length=100)
    enabled: bool = Field(default=True, strict=True)

    @model_validator(mode="after")
    def _named_and_windowed(self) -> "OfferSpec":
        if "en" not in self.name:
            raise ValueError("name: an English name is needed (members of any language)")
        if unknown := sorted((set(self.name) | set(self.description)) - set(r.LANGUAGES)):
            raise ValueError(f"languages {', '.join(unknown)}: expected en, da, sv")
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            raise ValueError("active_until must be after active_from")
        if isinstance(self.effect, RewardPriceSpec) and self.activation == a.Activation.CLIP:
            raise ValueError(
                "activation: a cheaper reward applies by itself (the ledger prices it when the "
                "member redeems); only points can wait to be activated"
            )
        return self

    def as_rule_spec(self) -> RuleSpec:
        """The rule it is evaluated as (for checking its expressions the way rules are)."""
        assert not isinstance(self.effect, RewardPriceSpec), "a cheaper reward is no rule"
        return RuleSpec(
            id=self.id,
            name=self.name["en"],
            driver=self.driver,
            events=self.events,
            effect=self.effect,
            explanation=self.explanation or DEFAULT_EXPLANATION,
            condition=self.condition,
        )

    def to_offer(self, version: int) -> a.Offer:
        effect: r.Effect | a.RewardPrice
        if isinstance(self.effect, RewardPriceSpec):
            effect = a.RewardPrice(self.effect.reward_id, self.effect.points)
        else:
            effect = self.as_rule_spec().to_rule(version).effect
        texts = {lang: str(text) for lang, text in self.name.items()}
        explanation = self.explanation or {
            lang: template.replace("$name", texts.get(lang, texts["en"]))
            for lang, template in DEFAULT_EXPLANATION.items()
        }
        return a.Offer(
            offer_id=self.id,
            version=version,
            name=texts,
            audience=self.audience,
            effect=effect,
            explanation=explanation,
            description=dict(self.description),
            condition=self.condition,
            event_types=tuple(self.events),
            active_from=self.active_from,
            active_until=self.active_until,
            budget=self.budget,
            per_member_limit=self.per_member_limit,
            activation=self.activation,
            control_share=self.control_share,
            driver=self.driver,
            funded_by=self.funded_by,
            enabled=self.enabled,
        )
