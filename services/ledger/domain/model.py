"""Points entries and balances. Pure: the standard library only.

Every entry moves points from one account to another (double entry): earning debits the
program's issued-points account and credits the member's wallet.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

PROGRAM_ISSUED = "program:issued"


def member_wallet(member_id: str) -> str:
    return f"member:{member_id}:wallet"


class EntryStatus(StrEnum):
    AVAILABLE = "available"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    member_id: str
    kind: str
    status: EntryStatus
    points: int
    debit_account: str
    credit_account: str
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PointsEarned:
    entry: Entry
    balance: "BalanceView"


@dataclass(frozen=True, slots=True)
class BalanceView:
    available: int
    pending: int
    lifetime_earned: int


@dataclass(slots=True)
class Balance:
    """A member's running balance: updated with each entry, read in O(1)."""

    member_id: str
    available: int = 0
    pending: int = 0
    lifetime_earned: int = 0
    version: int = 0
    events: list[PointsEarned] = field(default_factory=list)

    def earn(
        self,
        *,
        entry_id: str,
        points: int,
        pending: bool,
        rule_id: str,
        rule_version: int,
        explanation: str,
        source_event_id: str,
        now: datetime,
    ) -> Entry:
        if points <= 0:
            raise ValueError(f"earned points must be positive, not {points}")
        status = EntryStatus.PENDING if pending else EntryStatus.AVAILABLE
        entry = Entry(
            entry_id=entry_id,
            member_id=self.member_id,
            kind="earn",
            status=status,
            points=points,
            debit_account=PROGRAM_ISSUED,
            credit_account=member_wallet(self.member_id),
            rule_id=rule_id,
            rule_version=rule_version,
            explanation=explanation,
            source_event_id=source_event_id,
            recorded_at=now,
        )
        if pending:
            self.pending += points
        else:
            self.available += points
        self.lifetime_earned += points
        self.events.append(PointsEarned(entry, self.view()))
        return entry

    def view(self) -> BalanceView:
        return BalanceView(self.available, self.pending, self.lifetime_earned)
