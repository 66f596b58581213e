"""Rules as documents (JSON over the admin API, YAML packs): validated, then made domain Rules."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from services.rules.domain import rules as r
from shared.contracts.awards import NOTICES_OF_DEFAULT_RULES, NoticeKind
from shared.contracts.names import Name
from shared.contracts.numbers import INTEGER, Moment, Whole


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PointsPerAmountSpec(_Spec):
    type: Literal["points_per_amount"]
    points: Decimal = Field(gt=0, le=1000)
    per: Decimal = Field(default=Decimal(1), gt=0, le=1_000_000)
    rounding: r.Rounding = r.Rounding.FLOOR
    lines: str | None = Field(default=None, max_length=2000)


class FixedPointsSpec(_Spec):
    type: Literal["fixed"]
    points: Whole = Field(gt=0, le=1_000_000)


class ThresholdBonusSpec(_Spec):
    type: Literal["threshold_bonus"]
    min_amount: Decimal = Field(gt=0, le=1_000_000_000)
    points: Whole = Field(gt=0, le=1_000_000)


class LinePointsSpec(_Spec):
    type: Literal["line_points"]
    lines: str = Field(min_length=1, max_length=2000)
    points_per_unit: Whole = Field(gt=0, le=100_000)


class MultiplierSpec(_Spec):
    type: Literal["multiplier"]
    factor: Decimal = Field(gt=1, le=20)
    applies_to: list[str] = Field(default_factory=list)
    rounding: r.Rounding = r.Rounding.FLOOR


EffectSpec = Annotated[
    PointsPerAmountSpec | FixedPointsSpec | ThresholdBonusSpec | LinePointsSpec | MultiplierSpec,
    Field(discriminator="type"),
]


class CapsSpec(_Spec):
    per_member_per_day: Annotated[int, Field(gt=0, le=1_000_000_000), INTEGER] | None = None
    per_member_per_month: Annotated[int, Field(gt=0, le=1_000_000_000), INTEGER] | None = Field(
        default=None
    )
    once_per_member: bool = Field(default=False, strict=True)
    once_per_year: bool = Field(default=False, strict=True)
    budget: Annotated[int, Field(gt=0, le=10**15), INTEGER] | None = Field(default=None)


class RuleSpec(_Spec):
    """A rule as a program manager writes it."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: Name(200)  # type: ignore[valid-type]
    driver: r.Driver
    events: list[str] = Field(min_length=1, description="event types the rule reacts to")
    effect: EffectSpec
    # (as long and as empty as before this check: rules saved then must load)
    explanation: dict[str, Name(10_000, min_length=0)] = Field(  # type: ignore[valid-type]
        description="language (en, da, sv) -> template"
    )
    condition: str = Field(default="true", max_length=2000)
    active_from: Moment | None = None
    active_until: Moment | None = None
    caps: CapsSpec = Field(default_factory=CapsSpec)
    priority: Whole = Field(default=0, ge=-1000, le=1000)
    stacks: bool = Field(default=True, strict=True)
    pending_days: Annotated[int, Field(ge=1, le=365), INTEGER] | None = Field(default=None)
    funded_by: str | None = Field(default=None, max_length=100)
    beneficiary: str | None = Field(
        default=None,
        pattern=r"^[a-z_]+$",
        description="award the member named by this field of the event's data instead",
    )
    enabled: bool = Field(default=True, strict=True)
    notice: NoticeKind | None = Field(
        default=None,
        description="the message members get for its points: welcome, birthday or goodwill "
        "(none: the usual points message)",
    )

    @model_validator(mode="before")
    @classmethod
    def _notice_of_a_rule_saved_before_notices(cls, data: Any, info: ValidationInfo) -> Any:
        """A spec stored before rules named their notice (0.1) has no ``notice`` key: the
        default program's rules keep the message the notification service then chose by
        their id. A spec saved since always has the key (None: the points message)."""
        stored = bool(info.context and info.context.get("stored"))
        if stored and isinstance(data, dict) and "notice" not in data:
            legacy = NOTICES_OF_DEFAULT_RULES.get(str(data.get("id")))
            return {**data, "notice": legacy} if legacy else data
        return data

    def to_rule(self, version: int) -> r.Rule:
        e = self.effect
        effect: r.Effect
        match e:
            case PointsPerAmountSpec():
                effect = r.PointsPerAmount(e.points, e.per, e.rounding, e.lines)
            case FixedPointsSpec():
                effect = r.FixedPoints(e.points)
            case ThresholdBonusSpec():
                effect = r.ThresholdBonus(e.min_amount, e.points)
            case LinePointsSpec():
                effect = r.LinePoints(e.lines, e.points_per_unit)
            case MultiplierSpec():
                effect = r.Multiplier(e.factor, tuple(e.applies_to), e.rounding)
        return r.Rule(
            rule_id=self.id,
            version=version,
            name=self.name,
            driver=self.driver,
            event_types=tuple(self.events),
            effect=effect,
            explanation=dict(self.explanation),
            condition=self.condition,
            active_from=self.active_from,
            active_until=self.active_until,
            caps=r.Caps(**self.caps.model_dump()),
            priority=self.priority,
            stacks=self.stacks,
            pending_days=self.pending_days,
            funded_by=self.funded_by,
            beneficiary=self.beneficiary,
            enabled=self.enabled,
            notice=self.notice,
        )


def spec_document(spec: RuleSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_defaults=False)


class TierSpec(_Spec):
    name: Name(50)  # type: ignore[valid-type]
    names: dict[Literal["en", "da", "sv"], Name(50)] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="what members read, per language (none: the name)"
    )
    min_points: Whole = Field(
        ge=0, le=10**12, description="qualifying points earned over 12 months"
    )


class RulePack(_Spec):
    """A program: its tiers and rules (``default_pack.yaml`` is the one `make run` loads)."""

    tiers: list[TierSpec] = Field(default_factory=list)
    rules: list[RuleSpec]
