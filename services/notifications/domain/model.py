"""Messages to members about their points. Pure: the standard library only."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PointsEarnedNotice:
    """What the ledger told us, in the words the message needs."""

    source_event_id: str
    member_id: str
    points: int
    pending: bool
    explanation: str
    available_after: int
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class InboxMessage:
    message_id: str
    member_id: str
    kind: str
    title: str
    body: str
    source_event_id: str
    created_at: datetime


def points_earned_message(notice: PointsEarnedNotice, *, message_id: str) -> InboxMessage:
    unit = "point" if notice.points == 1 else "points"
    if notice.pending:
        title = f"{notice.points} {unit} on their way"
        availability = "They become available once the return window has passed."
    else:
        title = f"You earned {notice.points} {unit}"
        availability = f"You now have {notice.available_after} points to spend."
    return InboxMessage(
        message_id=message_id,
        member_id=notice.member_id,
        kind="points_earned",
        title=title,
        body=f"Why: {notice.explanation}. {availability}",
        source_event_id=notice.source_event_id,
        created_at=notice.occurred_at,
    )
