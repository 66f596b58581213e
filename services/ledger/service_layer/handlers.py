"""Use cases of the ledger. Each runs in one transaction under the member's balance lock, and
each is idempotent: its operation id is recorded with a fingerprint of the request, so a repeat
is a no-op and a different request under the same id is refused."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn, TypeVar

from services.ledger.domain import operations as ops
from services.ledger.domain.commands import (
    AdjustPoints,
    LedgerCommand,
    PointsCommand,
    RecordAward,
    RedeemPoints,
    RevokePoints,
    RunDueWork,
    SettleRedemption,
)
from services.ledger.domain.entries import BalanceView, Cause, Operation
from services.ledger.domain.errors import (
    IdempotencyConflict,
    InsufficientPoints,
    LedgerError,
    RewardUnavailable,
    UnknownMember,
    UnknownRedemption,
    UnknownReward,
)
from services.ledger.domain.model import MemberAccount, Policy
from services.ledger.domain.redemptions import Redemption
from services.ledger.service_layer.fingerprints import fingerprint
from services.ledger.service_layer.points import book_points
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.errors import RetryLater
from shared.retry import Backoff, retrying

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RedemptionOutcome:
    redemption: Redemption
    balance: BalanceView
    replayed: bool


async def already_done(uow: UnitOfWork, operation_id: str, command: LedgerCommand) -> bool:
    prior = await uow.accounts.operation_fingerprint(operation_id)
    if prior is None:
        return False
    if prior != fingerprint(command):
        raise IdempotencyConflict(
            f"operation {operation_id!r} was already done with different content"
        )
    return True


# The refusals kept under a keyed request's operation id (see ``refusals``): what a later
# request with the same key is answered, whenever it comes.
KEPT_REFUSALS: tuple[type[LedgerError], ...] = (
    InsufficientPoints,
    RewardUnavailable,
    UnknownReward,
    UnknownMember,
)


async def refused_before(uow: UnitOfWork, operation_id: str, command: LedgerCommand) -> None:
    """Raise the refusal kept for this operation, if the same request was refused before."""
    kept = await uow.accounts.refusal(operation_id)
    if kept is None:
        return
    printed, error, detail = kept
    if printed != fingerprint(command):
        raise IdempotencyConflict(
            f"operation {operation_id!r} was already refused with different content"
        )
    raise next((e for e in KEPT_REFUSALS if e.__name__ == error), LedgerError)(detail)


async def keep_refusal(
    uow: UnitOfWork, operation_id: str, command: LedgerCommand, refused: LedgerError
) -> None:
    """Keep ``refused`` under the operation (committed: the caller raises it next)."""
    at = datetime.now(UTC)
    printed = fingerprint(command)
    await uow.accounts.keep_refusal(operation_id, printed, type(refused).__name__, str(refused), at)
    await uow.commit()


async def refuse_unknown_member(
    uow: UnitOfWork, operation_id: str, command: LedgerCommand
) -> NoReturn:
    """A spend for a member with no points account yet, refused and kept so: a request with
    the key still under way (a replica stopped mid-request) must not spend once the member's
    first points arrive, after the till was told no. (The text names no member: it is kept.)"""
    refused = UnknownMember("this member has no points account yet")
    await keep_refusal(uow, operation_id, command, refused)
    raise refused


async def commit_operations(
    uow: UnitOfWork, account: MemberAccount, command: LedgerCommand
) -> None:
    if account.operations:
        account.operations[0].fingerprint = fingerprint(command)
    await uow.save(account)
    await uow.commit()


async def _once(
    uow: UnitOfWork,
    command: LedgerCommand,
    member_id: str,
    operation_id: str,
    post: Callable[[MemberAccount], Operation],
) -> Operation | None:
    """Post the operation unless its id was done before; None for a repeat."""
    async with uow:
        account = await uow.accounts.load(member_id)
        if await already_done(uow, operation_id, command):
            return None
        op = post(account)
        await commit_operations(uow, account, command)
    return op


async def record_award(
    command: RecordAward, *, uow: UnitOfWork, policy: Policy, now: datetime | None = None
) -> Operation | None:
    """Book one award (as the consumer books a chunk of them); None for a repeat."""
    return await _book_one(command, uow=uow, policy=policy, now=now)


async def revoke_points(
    command: RevokePoints, *, uow: UnitOfWork, now: datetime | None = None
) -> Operation | None:
    return await _book_one(command, uow=uow, policy=Policy(), now=now)


async def _book_one(
    command: PointsCommand, *, uow: UnitOfWork, policy: Policy, now: datetime | None
) -> Operation | None:
    booked = await book_points([command], uow=uow, policy=policy, now=now)
    if booked.rejected:
        raise booked.rejected[0]
    return booked.operations[0] if booked.operations else None


async def redeem_points(
    command: RedeemPoints, *, uow: UnitOfWork, now: datetime | None = None
) -> RedemptionOutcome:
    async with uow:
        account = await uow.accounts.load(command.member_id, redemption_ids=[command.redemption_id])
        if await already_done(uow, command.redemption_id, command):
            return _outcome(account, command.redemption_id, replayed=True)
        await refused_before(uow, command.redemption_id, command)
        if account.version == 0:
            await refuse_unknown_member(uow, command.redemption_id, command)
        now = now or datetime.now(UTC)
        hold_until = None
        if command.hold_seconds is not None:
            hold_until = now + timedelta(seconds=command.hold_seconds)
        try:
            ops.redeem(
                account,
                redemption_id=command.redemption_id,
                points=command.points,
                description=command.description,
                now=now,
                hold_until=hold_until,
            )
        except KEPT_REFUSALS as refused:
            await keep_refusal(uow, command.redemption_id, command, refused)
            raise
        await commit_operations(uow, account, command)
    return _outcome(account, command.redemption_id, replayed=False)


async def settle_redemption(
    command: SettleRedemption, *, uow: UnitOfWork, now: datetime | None = None
) -> RedemptionOutcome:
    """Capture or release a hold; repeating the same settlement is a no-op."""
    async with uow:
        account = await uow.accounts.load(command.member_id, redemption_ids=[command.redemption_id])
        redemption = account.redemptions.get(command.redemption_id)
        if redemption is None:
            raise UnknownRedemption(f"no redemption {command.redemption_id!r} for this member")
        settle = ops.capture if command.capture else ops.release
        op = settle(account, redemption, now=now or datetime.now(UTC))
        if op is not None:
            await commit_operations(uow, account, command)
    return _outcome(account, command.redemption_id, replayed=op is None)


async def adjust_points(
    command: AdjustPoints, *, uow: UnitOfWork, policy: Policy, now: datetime | None = None
) -> Operation | None:
    def post(account: MemberAccount) -> Operation:
        return ops.adjust(
            account,
            operation_id=command.adjustment_id,
            points=command.points,
            cause=Cause(explanation=command.reason, actor=command.actor),
            now=now or datetime.now(UTC),
            policy=policy,
        )

    return await _once(uow, command, command.member_id, command.adjustment_id, post)


async def run_due_work(
    command: RunDueWork, *, uow: UnitOfWork, policy: Policy, now: datetime | None = None
) -> list[Operation]:
    """Mature pending lots, expire old ones and release lapsed holds. Safe to run twice and on
    several replicas at once: the balance lock queues them and each step checks it is due."""
    now = now or datetime.now(UTC)
    async with uow:
        holds = await uow.accounts.expired_holds(command.member_id, now)
        account = await uow.accounts.load(command.member_id, redemption_ids=holds)
        for lot in account.lots_due_to_mature(now):
            ops.mature(account, lot.lot_id, now=now, policy=policy)
        for redemption in account.redemptions.values():
            ops.release(account, redemption, now=now, expired=True)
        for lot in account.lots_due_to_expire(now):
            ops.expire(account, lot.lot_id, now=now)
        done = list(account.operations)
        if done or account.changed_lots or account.changed_redemptions:
            await uow.save(account)
            await uow.commit()
    return done


def _outcome(account: MemberAccount, redemption_id: str, *, replayed: bool) -> RedemptionOutcome:
    return RedemptionOutcome(account.redemptions[redemption_id], account.view(), replayed)


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Retry a use case that lost a race (``RetryLater``), with a short growing pause."""
    return await retrying(call, backoff=RACE, on=RetryLater, attempts=attempts)


RACE = Backoff(first=0.01, most=0.16)
