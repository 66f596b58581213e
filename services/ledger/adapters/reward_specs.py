"""Catalogue entries as the admin API and the default catalogue (YAML) write them."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.ledger.domain.rewards import Reward, RewardKind
from shared.contracts.names import Name, Text
from shared.contracts.numbers import INTEGER, Moment, Whole


class RewardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    kind: RewardKind
    cost_points: Whole = Field(gt=0, le=10_000_000)
    # (as long and as empty as before this check: rewards saved then must load)
    names: dict[Literal["en", "da", "sv"], Name(10_000, min_length=0)] = Field(  # type: ignore[valid-type]
        min_length=1
    )
    descriptions: dict[Literal["en", "da", "sv"], Text(100_000, min_length=0)] = Field(  # type: ignore[valid-type]
        default_factory=dict
    )
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    stock: Annotated[int, Field(ge=0), INTEGER] | None = Field(
        default=None, description="None: unlimited"
    )
    per_member_limit: Annotated[int, Field(gt=0), INTEGER] | None = Field(default=None)
    min_tier: str | None = Field(default=None, max_length=50)
    voucher_valid_days: Whole = Field(default=30, gt=0, le=3650)
    refund_on_expiry: bool = Field(default=False, strict=True)
    details: dict[str, str] = Field(
        default_factory=dict, description="amount, percent, min_basket, sku, cause ..."
    )
    funded_by: str | None = Field(default=None, max_length=100)
    enabled: bool = Field(default=True, strict=True)

    def to_reward(self, stock_left: int | None) -> Reward:
        return Reward(
            reward_id=self.id,
            kind=self.kind,
            cost_points=self.cost_points,
            names={str(k): v for k, v in self.names.items()},
            descriptions={str(k): v for k, v in self.descriptions.items()},
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            stock_total=self.stock,
            stock_left=stock_left,
            per_member_limit=self.per_member_limit,
            min_tier=self.min_tier,
            voucher_valid_days=self.voucher_valid_days,
            refund_on_expiry=self.refund_on_expiry,
            details=dict(self.details),
            funded_by=self.funded_by,
            enabled=self.enabled,
        )


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rewards: list[RewardSpec]
