"""Earning and taking back: what the rules decided for one event, booked as one operation
with an entry per rule and, for an earning, a lot per return window (the rules' points that
mature together are one lot). Pure: the standard library only."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.ledger.domain import accounts as acc
from services.ledger.domain.entries import Cause, EntryKind, Operation
from services.ledger.domain.lots import Lot, LotStatus, take_oldest_first
from services.ledger.domain.model import MemberAccount, Policy, positive
from shared.wording import grouped


@dataclass(frozen=True, slots=True)
class Earning:
    """One rule's points in an earning: its own lot, return window and reason."""

    lot_id: str
    points: int
    pending_until: datetime | None
    cause: Cause


@dataclass(frozen=True, slots=True)
class Taking:
    """One rule's points taken back in a reversal, from what ``revokes_event_id`` earned."""

    points: int
    revokes_event_id: str
    cause: Cause
    lot_id: str | None = None  # the lot of the award taken back: it goes first


def earn(
    account: MemberAccount,
    *,
    operation_id: str,
    points: int,
    pending_until: datetime | None,
    cause: Cause,
    now: datetime,
    policy: Policy,
) -> Operation:
    """Credit points, pending until ``pending_until`` (a return window) or available now."""
    earning = Earning(operation_id, points, pending_until, cause)
    return earn_all(account, operation_id=operation_id, earnings=[earning], now=now, policy=policy)


def earn_all(
    account: MemberAccount,
    *,
    operation_id: str,
    earnings: Sequence[Earning],
    now: datetime,
    policy: Policy,
) -> Operation:
    """Credit what several rules awarded for one event, as one operation: an entry per rule,
    and a lot per return window (named after its first rule's award: an award's lot has the
    award's id when the award is alone in its window), pending until then or available now."""
    for earning in earnings:
        positive(earning.points)
    op = account.begin(operation_id, EntryKind.EARN, joined_cause(earnings), now)
    lots: dict[datetime | None, Lot] = {}  # by the window the points wait out (None: none)
    for earning in earnings:
        until = earning.pending_until
        pending = until is not None and until > now
        window = until if pending else None
        lot = lots.get(window)
        if lot is None:
            lot = lots[window] = account.new_lot(
                earning.lot_id,
                earning.points,
                earning.cause.source_event_id,
                pending_until=window,
                now=now,
                policy=policy,
            )
        else:
            lot.points += earning.points
            lot.remaining += earning.points
        purpose = acc.PENDING if pending else acc.AVAILABLE
        account.post(
            op,
            earning.points,
            acc.PROGRAM_ISSUED,
            account.account(purpose),
            lot.lot_id,
            cause=earning.cause,
        )
        account.lifetime_earned += earning.points
        op.pending_points += earning.points if pending else 0
    account.settle_debt()
    return account.finish(op)


def joined_cause(parts: Sequence[Earning | Taking]) -> Cause:
    """The cause of an operation of several rules' points: each reason with its points."""
    if len(parts) == 1:
        return parts[0].cause
    languages = {p.cause.language for p in parts}
    notices = {p.cause.notice for p in parts}
    return Cause(
        explanation=", ".join(
            f"{p.cause.explanation}: {grouped(p.points, p.cause.language)}" for p in parts
        ),
        source_event_id=parts[0].cause.source_event_id,
        language=languages.pop() if len(languages) == 1 else None,
        notice=notices.pop() if len(notices) == 1 else None,
    )


def reverse(
    account: MemberAccount,
    *,
    operation_id: str,
    points: int,
    revokes_event_id: str,
    cause: Cause,
    now: datetime,
) -> Operation:
    """Take back points an event earned (see :func:`reverse_all`)."""
    taking = Taking(points, revokes_event_id, cause)
    return reverse_all(account, operation_id=operation_id, takings=[taking], now=now)


def reverse_all(
    account: MemberAccount, *, operation_id: str, takings: Sequence[Taking], now: datetime
) -> Operation:
    """Take back points events earned, rule by rule: each event's pending points first, then
    its available ones, then any available points; what was already spent leaves the member
    owing points."""
    for taking in takings:
        positive(taking.points)
    op = account.begin(operation_id, EntryKind.REVERSE, joined_cause(takings), now)
    for taking in takings:
        _take(account, op, taking)
        account.lifetime_earned -= taking.points
    return account.finish(op)


def _take(account: MemberAccount, op: Operation, taking: Taking) -> None:
    left = taking.points
    earned_by_event = sorted(
        (lot for lot in account.lots.values() if lot.source_event_id == taking.revokes_event_id),
        key=lambda lot: (
            lot.lot_id != taking.lot_id,
            lot.status is not LotStatus.PENDING,
            lot.created_at,
            lot.lot_id,
        ),
    )
    for lot in earned_by_event:
        if lot.status is LotStatus.EXPIRED or lot.remaining == 0 or left == 0:
            continue
        amount = min(lot.remaining, left)
        lot.remaining -= amount
        left -= amount
        account.touch([lot.lot_id])
        purpose = acc.PENDING if lot.status is LotStatus.PENDING else acc.AVAILABLE
        account.post(
            op, amount, account.account(purpose), acc.PROGRAM_ISSUED, lot.lot_id, taking.cause
        )
    if left:
        account.touch(take_oldest_first(account.available_lots(), left))
        account.post(
            op, left, account.account(acc.AVAILABLE), acc.PROGRAM_ISSUED, cause=taking.cause
        )
