"""The ledger's consumer use case: book a chunk of the rules' decisions as sets.

One transaction per chunk: the fingerprints of the operations with one query, every member's
balance seeded and locked (in member-id order) with one, the open lots with one more, and only
for members whose operation needs them (a reversal, or a negative balance that a new earning
settles); an earning alone never reads lots. Operations are posted in memory in the order the
decisions came, then written with one statement per kind of row. Each operation is idempotent:
its id is recorded with a fingerprint of the request, so a repeat is a no-op and a different
request under the same id is refused (rejected, leaving no trace)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.ledger.domain import operations as ops
from services.ledger.domain.commands import (
    AwardedPoints,
    NotePrice,
    NoteTier,
    PointsCommand,
    RecordAward,
    RecordDecision,
    RevokeDecision,
    RevokedPoints,
    RevokePoints,
)
from services.ledger.domain.entries import Cause, Operation
from services.ledger.domain.errors import IdempotencyConflict, LedgerError
from services.ledger.domain.model import MemberAccount, Policy
from services.ledger.service_layer.fingerprints import fingerprint
from services.ledger.service_layer.unit_of_work import RepeatedOperations, UnitOfWork
from shared.erasure.model import MemberWasErased


@dataclass(slots=True)
class BookedChunk:
    operations: list[Operation] = field(default_factory=list)
    # command index -> why
    rejected: dict[int, LedgerError | MemberWasErased] = field(default_factory=dict)


def operation_id(command: PointsCommand) -> str:
    match command:
        case RecordDecision() | RevokeDecision():
            return command.decision_id
        case RecordAward():
            return command.award_id
        case RevokePoints():
            return command.revocation_id


async def book_points(
    commands: Sequence[PointsCommand | NoteTier],
    *,
    uow: UnitOfWork,
    policy: Policy,
    now: datetime | None = None,
) -> BookedChunk:
    """Tier news (:class:`NoteTier`) in the chunk: each member's newest tier is kept in the
    same transaction. Rejections are by index in ``commands``.

    Most chunks hold only new operations: they are posted without reading fingerprints
    first, and the operations' unique ids catch any that were booked before (a redelivery
    after a crash or a rebalance). Then the chunk is done again, reading the fingerprints
    first, so that repeats are recognised before anything is posted."""
    now = now or datetime.now(UTC)
    tiers = newest_tiers([c for c in commands if isinstance(c, NoteTier)])
    points = {i: c for i, c in enumerate(commands) if not isinstance(c, NoteTier)}
    try:
        return await _book(points, uow, policy, tiers, now, look_up=False)
    except RepeatedOperations:
        return await _book(points, uow, policy, tiers, now, look_up=True)


def newest_tiers(news: Sequence[NoteTier]) -> dict[str, tuple[str, datetime]]:
    """Each member's newest tier, with when, from the chunk's tier news."""
    tiers: dict[str, tuple[str, datetime]] = {}
    for note in news:
        newest = tiers.get(note.member_id)
        if newest is None or newest[1] <= note.changed_at:
            tiers[note.member_id] = (note.tier, note.changed_at)
    return tiers


async def _book(
    points: Mapping[int, PointsCommand],
    uow: UnitOfWork,
    policy: Policy,
    tiers: Mapping[str, tuple[str, datetime]],
    now: datetime,
    *,
    look_up: bool,
) -> BookedChunk:
    out = BookedChunk()
    async with uow:
        commands = points.values()
        done = (
            await uow.accounts.fingerprints({operation_id(c) for c in commands}) if look_up else {}
        )
        accounts = await uow.accounts.balances_for_update({c.member_id for c in commands})
        if not look_up and (gone := {c.member_id for c in commands} & uow.accounts.erased.keys()):
            # An erased member's operation may be a late repeat of one booked before (an
            # outbox republished after a crash): a repeat is skipped, only a new one refused.
            done = await uow.accounts.fingerprints(
                {operation_id(c) for c in commands if c.member_id in gone}
            )
        revoking = {c.member_id for c in commands if isinstance(c, RevokeDecision | RevokePoints)}
        await uow.accounts.load_open_lots(
            [a for a in accounts.values() if a.member_id in revoking or a.available < 0]
        )
        for index, command in points.items():
            op_id, request_print = operation_id(command), fingerprint(command)
            if op_id in done:
                if done[op_id] != request_print:
                    out.rejected[index] = IdempotencyConflict(
                        f"operation {op_id!r} was already done with different content"
                    )
                continue
            account = accounts.get(command.member_id)
            if account is None:  # erased: their points are not booked to anyone
                out.rejected[index] = MemberWasErased(
                    command.member_id, uow.accounts.erased[command.member_id]
                )
                continue
            try:
                op = _post(account, command, now=now, policy=policy)
            except LedgerError as exc:
                out.rejected[index] = exc
                continue
            op.fingerprint = done[op_id] = request_print
            out.operations.append(op)
        if tiers:
            await uow.members.save_tiers(tiers)
        if out.operations or tiers:
            await uow.save_all([a for a in accounts.values() if a.operations])
            await uow.commit()
    return out


def _post(
    account: MemberAccount, command: PointsCommand, *, now: datetime, policy: Policy
) -> Operation:
    match command:
        case RecordDecision():
            earnings = [
                ops.Earning(
                    lot_id=a.award_id,
                    points=a.points,
                    pending_until=a.pending_until,
                    cause=_part_cause(a, command),
                )
                for a in command.awards
            ]
            return ops.earn_all(
                account, operation_id=command.decision_id, earnings=earnings, now=now, policy=policy
            )
        case RevokeDecision():
            takings = [
                ops.Taking(
                    points=r.points,
                    revokes_event_id=r.revokes_event_id,
                    lot_id=r.revokes_award_id,  # an award's lot has the award's id
                    cause=_part_cause(r, command),
                )
                for r in command.revocations
            ]
            return ops.reverse_all(
                account, operation_id=command.decision_id, takings=takings, now=now
            )
        case RecordAward():
            return ops.earn(
                account,
                operation_id=command.award_id,
                points=command.points,
                pending_until=command.pending_until,
                cause=_rule_cause(command),
                now=now,
                policy=policy,
            )
        case RevokePoints():
            return ops.reverse(
                account,
                operation_id=command.revocation_id,
                points=command.points,
                revokes_event_id=command.revokes_event_id,
                cause=_rule_cause(command),
                now=now,
            )


def _part_cause(
    part: AwardedPoints | RevokedPoints, decision: RecordDecision | RevokeDecision
) -> Cause:
    """One rule's share of a decision: its reason, in the decision's language."""
    return Cause(
        explanation=part.explanation,
        rule_id=part.rule_id,
        rule_version=part.rule_version,
        source_event_id=decision.source_event_id,
        language=decision.language,
        notice=part.notice if isinstance(part, AwardedPoints) else None,
    )


def _rule_cause(command: RecordAward | RevokePoints) -> Cause:
    return Cause(
        explanation=command.explanation,
        rule_id=command.rule_id,
        rule_version=command.rule_version,
        source_event_id=command.source_event_id,
    )


async def note_prices(prices: Sequence[NotePrice], *, uow: UnitOfWork) -> None:
    """Rewards offers made cheaper for members (a repeat changes nothing)."""
    async with uow:
        await uow.members.save_prices(prices)
        await uow.commit()
