"""The operations on a member's points. Each posts balanced entries and returns the Operation,
or refuses with a LedgerError before changing anything."""

from datetime import datetime

from services.ledger.domain import accounts as acc
from services.ledger.domain.earnings import Earning, Taking, earn, earn_all, reverse, reverse_all
from services.ledger.domain.entries import Cause, EntryKind, Operation
from services.ledger.domain.errors import InsufficientPoints, InvalidPoints, RedemptionStateConflict
from services.ledger.domain.lots import LotStatus, take_oldest_first
from services.ledger.domain.model import MemberAccount, Policy, positive
from services.ledger.domain.redemptions import Redemption, RedemptionStatus


def mature(
    account: MemberAccount, lot_id: str, *, now: datetime, policy: Policy
) -> Operation | None:
    """Move a lot's pending points to available once its return window has passed."""
    lot = account.lots[lot_id]
    if not lot.is_due_to_mature(now):
        return None
    lot.status = LotStatus.AVAILABLE
    lot.expires_at = policy.expiry(lot.matures_at or now)
    account.touch([lot_id])
    if lot.remaining == 0:  # all of it was reversed while pending
        return None
    cause = Cause(
        explanation="pending points matured: the return window has passed",
        source_event_id=lot.source_event_id,
    )
    op = account.begin(f"{lot_id}/mature", EntryKind.MATURE, cause, now)
    account.post(
        op, lot.remaining, account.account(acc.PENDING), account.account(acc.AVAILABLE), lot_id
    )
    account.settle_debt()
    return account.finish(op)


def redeem(
    account: MemberAccount,
    *,
    redemption_id: str,
    points: int,
    description: str,
    now: datetime,
    hold_until: datetime | None = None,
    translations: tuple[tuple[str, str], ...] = (),
) -> Operation:
    """Spend available points at once, or hold them until captured or released;
    ``translations``: the description in the languages members read."""
    positive(points)
    if account.available < points:
        raise InsufficientPoints(
            f"{points} points requested but {max(account.available, 0)} are available"
        )
    allocations = take_oldest_first(account.available_lots(), points)
    account.touch(allocations)
    kind = EntryKind.HOLD if hold_until else EntryKind.REDEEM
    cause = Cause(explanation=description, translations=translations)
    op = account.begin(redemption_id, kind, cause, now)
    if hold_until:
        account.post(op, points, account.account(acc.AVAILABLE), account.account(acc.HELD))
    else:
        account.post(op, points, account.account(acc.AVAILABLE), acc.PROGRAM_REDEEMED)
        account.lifetime_redeemed += points
    account.redemptions[redemption_id] = Redemption(
        redemption_id=redemption_id,
        member_id=account.member_id,
        points=points,
        status=RedemptionStatus.HELD if hold_until else RedemptionStatus.CAPTURED,
        description=description,
        hold_expires_at=hold_until,
        allocations=allocations,
        created_at=now,
        updated_at=now,
    )
    account.changed_redemptions.add(redemption_id)
    return account.finish(op)


def capture(account: MemberAccount, redemption: Redemption, *, now: datetime) -> Operation | None:
    """Spend held points for good. Capturing twice is a no-op."""
    if redemption.status is RedemptionStatus.CAPTURED:
        return None
    if redemption.status is not RedemptionStatus.HELD:
        raise RedemptionStateConflict(f"redemption is {redemption.status}, cannot capture it")
    op = account.begin(
        f"{redemption.redemption_id}/capture",
        EntryKind.CAPTURE,
        Cause(explanation=redemption.description),
        now,
    )
    account.post(op, redemption.points, account.account(acc.HELD), acc.PROGRAM_REDEEMED)
    account.lifetime_redeemed += redemption.points
    _set_status(account, redemption, RedemptionStatus.CAPTURED, now)
    return account.finish(op)


def release(
    account: MemberAccount, redemption: Redemption, *, now: datetime, expired: bool = False
) -> Operation | None:
    """Give held points back to the lots they came from. Releasing twice is a no-op."""
    if redemption.status in (RedemptionStatus.RELEASED, RedemptionStatus.EXPIRED):
        return None
    if redemption.status is not RedemptionStatus.HELD:
        raise RedemptionStateConflict(f"redemption is {redemption.status}, cannot release it")
    why = "the hold expired" if expired else "the hold was released"
    op = account.begin(
        f"{redemption.redemption_id}/release",
        EntryKind.RELEASE,
        Cause(explanation=f"{redemption.description}: {why}"),
        now,
    )
    account.post(op, redemption.points, account.account(acc.HELD), account.account(acc.AVAILABLE))
    for lot_id, amount in redemption.allocations.items():
        lot = account.lots[lot_id]
        lot.remaining += amount
        lot.status = LotStatus.AVAILABLE  # if it expired meanwhile, the next expiry run takes it
    account.touch(redemption.allocations)
    account.settle_debt()
    status = RedemptionStatus.EXPIRED if expired else RedemptionStatus.RELEASED
    _set_status(account, redemption, status, now)
    return account.finish(op)


def expire(account: MemberAccount, lot_id: str, *, now: datetime) -> Operation | None:
    lot = account.lots[lot_id]
    if not lot.is_due_to_expire(now):
        return None
    cause = Cause(explanation="points expired", source_event_id=lot.source_event_id)
    op = account.begin(f"{lot_id}/expire/{lot.expired}", EntryKind.EXPIRE, cause, now)
    amount = lot.remaining
    lot.remaining, lot.expired, lot.status = 0, lot.expired + amount, LotStatus.EXPIRED
    account.touch([lot_id])
    account.post(op, amount, account.account(acc.AVAILABLE), acc.PROGRAM_BREAKAGE, lot_id)
    return account.finish(op)


def adjust(
    account: MemberAccount,
    *,
    operation_id: str,
    points: int,
    cause: Cause,
    now: datetime,
    policy: Policy,
) -> Operation:
    """A manual correction by an administrator (``cause.actor``), up or down."""
    if points == 0:
        raise InvalidPoints("an adjustment of 0 points changes nothing")
    op = account.begin(operation_id, EntryKind.ADJUST, cause, now)
    if points > 0:
        lot = account.new_lot(
            operation_id, points, None, pending_until=None, now=now, policy=policy
        )
        account.post(
            op, points, acc.PROGRAM_ADJUSTMENTS, account.account(acc.AVAILABLE), lot.lot_id
        )
        account.settle_debt()
    else:
        if account.available < -points:
            raise InsufficientPoints(
                f"cannot take {-points} points: {max(account.available, 0)} are available"
            )
        account.touch(take_oldest_first(account.available_lots(), -points))
        account.post(op, -points, account.account(acc.AVAILABLE), acc.PROGRAM_ADJUSTMENTS)
    return account.finish(op)


def _set_status(
    account: MemberAccount, redemption: Redemption, status: RedemptionStatus, now: datetime
) -> None:
    redemption.status, redemption.updated_at = status, now
    account.changed_redemptions.add(redemption.redemption_id)


def refund(
    account: MemberAccount,
    *,
    operation_id: str,
    points: int,
    cause: Cause,
    now: datetime,
    policy: Policy,
) -> Operation:
    """Give back points a redemption spent (e.g. a cancelled voucher): a new entry, never an
    edit; the points come back as a fresh lot."""
    positive(points)
    op = account.begin(operation_id, EntryKind.REFUND, cause, now)
    lot = account.new_lot(operation_id, points, None, pending_until=None, now=now, policy=policy)
    account.post(op, points, acc.PROGRAM_REDEEMED, account.account(acc.AVAILABLE), lot.lot_id)
    account.lifetime_redeemed -= points
    account.settle_debt()
    return account.finish(op)


__all__ = ["Earning", "Taking", "earn", "earn_all", "reverse", "reverse_all"]
