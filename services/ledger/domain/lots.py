"""Point lots: each credit of points keeps its own remainder, maturity and expiry, so that
pending points mature on time and available points expire oldest first."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LotStatus(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    EXPIRED = "expired"


# The lots an operation may still change: pending ones, and available ones with points left.
# (status, only with points left). The repository's open-lots query is built from this too.
OPEN_LOTS: tuple[tuple[LotStatus, bool], ...] = (
    (LotStatus.PENDING, False),
    (LotStatus.AVAILABLE, True),
)


@dataclass(slots=True)
class Lot:
    """Points earned together, spent oldest-expiry first; open while they may still change."""

    lot_id: str
    member_id: str
    source_event_id: str | None
    points: int
    remaining: int
    status: LotStatus
    matures_at: datetime | None
    expires_at: datetime | None
    expired: int  # points expired from this lot so far
    created_at: datetime
    reminded_at: datetime | None = None  # when the member was told it is about to expire

    def is_open(self) -> bool:
        """Whether an operation may still change it (see :data:`OPEN_LOTS`)."""
        return any(
            self.status is status and (not needs_points or self.remaining > 0)
            for status, needs_points in OPEN_LOTS
        )

    def spend_order(self) -> tuple[bool, datetime, datetime, str]:
        """Oldest expiry first; lots that never expire last."""
        return (
            self.expires_at is None,
            self.expires_at or self.created_at,
            self.created_at,
            self.lot_id,
        )

    def is_due_to_mature(self, now: datetime) -> bool:
        return self.status is LotStatus.PENDING and (
            self.matures_at is None or self.matures_at <= now
        )

    def is_due_to_expire(self, now: datetime) -> bool:
        return (
            self.status is LotStatus.AVAILABLE
            and self.remaining > 0
            and self.expires_at is not None
            and self.expires_at <= now
        )


def take_oldest_first(lots: list[Lot], points: int) -> dict[str, int]:
    """Take up to ``points`` from available lots, oldest expiry first; ``{lot_id: taken}``."""
    taken: dict[str, int] = {}
    for lot in sorted(lots, key=Lot.spend_order):
        if points == 0:
            break
        if lot.status is not LotStatus.AVAILABLE or lot.remaining == 0:
            continue
        amount = min(lot.remaining, points)
        lot.remaining -= amount
        points -= amount
        taken[lot.lot_id] = amount
    return taken
