"""Entries (immutable double entries) and the operations that post them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EntryKind(StrEnum):
    EARN = "earn"
    MATURE = "mature"
    REVERSE = "reverse"
    REDEEM = "redeem"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REFUND = "refund"


# The past tense each operation kind is published under (``points.<past>``).
PAST_TENSE = {
    EntryKind.EARN: "earned",
    EntryKind.MATURE: "matured",
    EntryKind.REVERSE: "reversed",
    EntryKind.REDEEM: "redeemed",
    EntryKind.HOLD: "held",
    EntryKind.CAPTURE: "captured",
    EntryKind.RELEASE: "released",
    EntryKind.EXPIRE: "expired",
    EntryKind.ADJUST: "adjusted",
    EntryKind.REFUND: "refunded",
}


@dataclass(frozen=True, slots=True)
class Cause:
    """Why points moved: the rule and event behind them, or the person who adjusted them."""

    explanation: str
    rule_id: str | None = None
    rule_version: int | None = None
    source_event_id: str | None = None
    actor: str | None = None
    language: str | None = None  # of the explanation, when the rules said (not stored)
    notice: str | None = None  # the message the rule asks for (not stored)
    # The ledger's own explanations (a reward, a refund) in each language: (language, text)
    translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    operation_id: str
    member_id: str
    kind: EntryKind
    points: int
    debit_account: str
    credit_account: str
    available_after: int
    pending_after: int
    held_after: int
    lot_id: str | None
    cause: Cause
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class BalanceView:
    available: int
    pending: int
    held: int
    lifetime_earned: int
    lifetime_redeemed: int


@dataclass(slots=True)
class Operation:
    """One request to the ledger (an award, a redemption, a job step) and what it posted."""

    operation_id: str
    kind: EntryKind
    member_id: str
    cause: Cause
    recorded_at: datetime
    fingerprint: str = ""
    pending_points: int = 0  # of an earning: how many of its points wait for a return window
    entries: list[Entry] = field(default_factory=list)
    balance: BalanceView | None = None

    @property
    def points(self) -> int:
        return sum(e.points for e in self.entries)
