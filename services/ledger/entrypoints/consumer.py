"""Turns awards and revocations from ``loyalty.awards.v1`` into ledger commands."""

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from services.ledger.domain.commands import RecordAward, RevokePoints
from services.ledger.domain.errors import LedgerError
from services.ledger.domain.model import Policy
from services.ledger.service_layer import handlers, rewards
from services.ledger.service_layer.rewards_uow import RewardsUnitOfWork
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.contracts.awards import (
    MEMBER_TIER_CHANGED,
    POINTS_AWARDED,
    POINTS_REVOKED,
    PointsAwarded,
    PointsRevoked,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError
from shared.kafka.consumer import Handler
from shared.uow import after_commit

M = TypeVar("M", PointsAwarded, PointsRevoked)


def _payload(event: CloudEvent, model: type[M]) -> M:
    try:
        payload = model.model_validate(event.data)
    except ValidationError as exc:
        raise PayloadError(f"invalid data for {event.type}: {exc}") from exc
    if payload.member_id != event.subject:
        raise PayloadError("the payload's member_id differs from the event's subject")
    return payload


def to_command(event: CloudEvent) -> RecordAward | RevokePoints:
    if event.type == POINTS_AWARDED:
        a = _payload(event, PointsAwarded)
        return RecordAward(
            award_id=a.award_id,
            member_id=a.member_id,
            points=a.points,
            rule_id=a.rule_id,
            rule_version=a.rule_version,
            explanation=a.explanation,
            source_event_id=a.source_event_id,
            pending_until=a.pending_until,
        )
    if event.type == POINTS_REVOKED:
        r = _payload(event, PointsRevoked)
        return RevokePoints(
            revocation_id=r.revocation_id,
            member_id=r.member_id,
            points=r.points,
            revokes_event_id=r.revokes_event_id,
            rule_id=r.rule_id,
            rule_version=r.rule_version,
            explanation=r.explanation,
            source_event_id=r.source_event_id,
        )
    raise PayloadError(
        f"unexpected event type {event.type!r} on the awards topic; "
        f"expected {POINTS_AWARDED} or {POINTS_REVOKED}"
    )


def award_handler(
    uow_factory: Callable[[], UnitOfWork],
    policy: Policy,
    on_committed: Callable[[], None],
    *,
    tiers: Callable[[], RewardsUnitOfWork] | None = None,
) -> Handler:
    async def handle(event: CloudEvent) -> None:
        if event.type == MEMBER_TIER_CHANGED:  # news about the member, not about points
            if tiers is not None:
                change = _tier_change(event)
                await rewards.record_tier(
                    change.member_id, change.tier, change.changed_at, uow=tiers()
                )
            return
        command = to_command(event)
        try:
            if isinstance(command, RecordAward):
                op = await handlers.record_award(command, uow=uow_factory(), policy=policy)
            else:
                op = await handlers.revoke_points(command, uow=uow_factory())
        except LedgerError as exc:  # e.g. the same award id with other content
            raise PayloadError(str(exc)) from exc
        if op is not None:
            after_commit(on_committed)

    return handle


def _tier_change(event: CloudEvent) -> TierChanged:
    try:
        return TierChanged.model_validate(event.data)
    except ValidationError as exc:
        raise PayloadError(f"invalid data for {event.type}: {exc}") from exc
