"""What the ledger is asked to do."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RecordAward:
    award_id: str
    member_id: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    pending_until: datetime | None
