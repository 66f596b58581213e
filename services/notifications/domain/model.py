"""Messages to members about their points. Pure: the standard library only."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LedgerNotice:
    """What the ledger told us, in the words a message needs."""

    source_event_id: str
    member_id: str
    kind: str  # the ledger's past tense: earned, matured, reversed, redeemed, ...
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


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def _title(notice: LedgerNotice) -> str | None:
    points = _points(notice.points)
    match notice.kind:
        case "earned" if notice.pending:
            return f"{points} on their way"
        case "earned":
            return f"You earned {points}"
        case "matured":
            return f"{points} are now yours to spend"
        case "reversed":
            return f"{points} taken back"
        case "redeemed" | "captured":
            return f"You spent {points}"
        case "expired":
            return f"{points} expired"
        case "refunded":
            return f"{points} refunded to you"
        case "adjusted":
            return f"Your points were adjusted by {points}"
    return None  # holds and releases are steps of a redemption, not news


def message_for(notice: LedgerNotice, *, message_id: str) -> InboxMessage | None:
    title = _title(notice)
    if title is None:
        return None
    if notice.kind == "earned" and notice.pending:
        after = "They become available once the return window has passed."
    elif notice.available_after < 0:
        after = f"You owe {_points(-notice.available_after)}, settled by your next points."
    else:
        after = f"You now have {_points(notice.available_after)} to spend."
    return InboxMessage(
        message_id=message_id,
        member_id=notice.member_id,
        kind=f"points_{notice.kind}",
        title=title,
        body=f"Why: {notice.explanation}. {after}",
        source_event_id=notice.source_event_id,
        created_at=notice.occurred_at,
    )
