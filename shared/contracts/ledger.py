"""Payloads on ``loyalty.ledger.v1``: what the ledger recorded."""

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

POINTS_EARNED = "points.earned"


class BalanceSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    available: int
    pending: int
    lifetime_earned: int


class PointsEarned(BaseModel):
    """An entry crediting a member's wallet, with the balance right after it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str = Field(min_length=1, max_length=200)
    member_id: str = Field(min_length=1, max_length=200)
    points: int
    status: str = Field(description="'available' or 'pending'")
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    recorded_at: AwareDatetime
    balance: BalanceSnapshot
