"""Redemptions: points spent at once, or held first and captured or released later."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RedemptionStatus(StrEnum):
    HELD = "held"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"  # a hold nobody captured in time: released by the ledger's job


@dataclass(slots=True)
class Redemption:
    redemption_id: str
    member_id: str
    points: int
    status: RedemptionStatus
    description: str
    hold_expires_at: datetime | None
    allocations: dict[str, int]  # lot id -> points taken from it, returned on release
    created_at: datetime
    updated_at: datetime
