"""Use cases of the ledger. Each runs in one transaction under the member's balance lock, and
each is idempotent: its operation id is recorded with a fingerprint of the request, so a repeat
is a no-op and a different request under the same id is refused."""

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from services.ledger.domain import operations as ops
from services.ledger.domain.commands import (
    AdjustPoints,
    RecordAward,
    RedeemPoints,
    RevokePoints,
    RunDueWork,
    SettleRedemption,
)
from services.ledger.domain.entries import BalanceView, Cause, Operation
from services.ledger.domain.errors import IdempotencyConflict, UnknownMember, UnknownRedemption
from services.ledger.domain.model import MemberAccount, Policy
from services.ledger.domain.redemptions import Redemption
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.errors import RetryLater

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RedemptionOutcome:
    redemption: Redemption
    balance: BalanceView
    replayed: bool


def fingerprint(command: Any) -> str:
    canonical = json.dumps(asdict(command), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def already_done(uow: UnitOfWork, operation_id: str, command: Any) -> bool:
    prior = await uow.operation_fingerprint(operation_id)
    if prior is None:
        return False
    if prior != fingerprint(command):
        raise IdempotencyConflict(
            f"operation {operation_id!r} was already done with different content"
        )
    return True


async def commit_operations(uow: UnitOfWork, account: MemberAccount, command: Any) -> None:
    if account.operations:
        account.operations[0].fingerprint = fingerprint(command)
    await uow.save(account)
    await uow.commit()


async def _once(
    uow: UnitOfWork,
    command: Any,
    member_id: str,
    operation_id: str,
    post: Callable[[MemberAccount], Operation],
) -> Operation | None:
    """Post the operation unless its id was done before; None for a repeat."""
    async with uow:
        account = await uow.load(member_id)
        if await already_done(uow, operation_id, command):
            return None
        op = post(account)
        await commit_operations(uow, account, command)
    return op


def _rule_cause(command: RecordAward | RevokePoints) -> Cause:
    return Cause(
        explanation=command.explanation,
        rule_id=command.rule_id,
        rule_version=command.rule_version,
        source_event_id=command.source_event_id,
    )


async def record_award(
    command: RecordAward, *, uow: UnitOfWork, policy: Policy, now: datetime | None = None
) -> Operation | None:
    def post(account: MemberAccount) -> Operation:
        return ops.earn(
            account,
            operation_id=command.award_id,
            points=command.points,
            pending_until=command.pending_until,
            cause=_rule_cause(command),
            now=now or datetime.now(UTC),
            policy=policy,
        )

    return await _once(uow, command, command.member_id, command.award_id, post)


async def revoke_points(
    command: RevokePoints, *, uow: UnitOfWork, now: datetime | None = None
) -> Operation | None:
    def post(account: MemberAccount) -> Operation:
        return ops.reverse(
            account,
            operation_id=command.revocation_id,
            points=command.points,
            revokes_event_id=command.revokes_event_id,
            cause=_rule_cause(command),
            now=now or datetime.now(UTC),
        )

    return await _once(uow, command, command.member_id, command.revocation_id, post)


async def redeem_points(
    command: RedeemPoints, *, uow: UnitOfWork, now: datetime | None = None
) -> RedemptionOutcome:
    async with uow:
        account = await uow.load(command.member_id, redemption_ids=[command.redemption_id])
        if await already_done(uow, command.redemption_id, command):
            return _outcome(account, command.redemption_id, replayed=True)
        if account.version == 0:
            raise UnknownMember(f"member {command.member_id!r} has no points account")
        now = now or datetime.now(UTC)
        hold_until = None
        if command.hold_seconds is not None:
            hold_until = now + timedelta(seconds=command.hold_seconds)
        ops.redeem(
            account,
            redemption_id=command.redemption_id,
            points=command.points,
            description=command.description,
            now=now,
            hold_until=hold_until,
        )
        await commit_operations(uow, account, command)
    return _outcome(account, command.redemption_id, replayed=False)


async def settle_redemption(
    command: SettleRedemption, *, uow: UnitOfWork, now: datetime | None = None
) -> RedemptionOutcome:
    """Capture or release a hold; repeating the same settlement is a no-op."""
    async with uow:
        account = await uow.load(command.member_id, redemption_ids=[command.redemption_id])
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
        holds = await uow.expired_holds(command.member_id, now)
        account = await uow.load(command.member_id, redemption_ids=holds)
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
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryLater:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.005 * 2**attempt)
    raise AssertionError("unreachable")
