"""Turns awards and revocations from ``loyalty.awards.v1`` into ledger commands."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from services.ledger.domain.commands import (
    AwardedPoints,
    PointsCommand,
    RecordAward,
    RecordDecision,
    RevokeDecision,
    RevokedPoints,
    RevokePoints,
)
from services.ledger.domain.model import Policy
from services.ledger.service_layer.points import book_points
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.contracts.awards import (
    MEMBER_PROFILE_CHANGED,
    MEMBER_TIER_CHANGED,
    POINTS_AWARDED,
    POINTS_DECIDED,
    POINTS_REVOKED,
    PointsAwarded,
    PointsDecided,
    PointsRevoked,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.erasure import MEMBER_ERASED
from shared.contracts.inbound import PayloadError, payload_of
from shared.erasure import on_member_erased
from shared.kafka.chunks import BatchHandler, Commands, commands_of, cut_at

M = TypeVar("M", PointsAwarded, PointsRevoked, PointsDecided)


def _payload(event: CloudEvent, model: type[M]) -> M:
    payload = payload_of(event, model)
    if payload.member_id != event.subject:
        raise PayloadError("the payload's member_id differs from the event's subject")
    return payload


def to_command(event: CloudEvent) -> PointsCommand:
    if event.type == POINTS_DECIDED:
        return _decision(_payload(event, PointsDecided))
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
        f"unexpected event type {event.type!r} on the awards topic; expected "
        f"{POINTS_DECIDED}, {MEMBER_TIER_CHANGED} (or {POINTS_AWARDED}, {POINTS_REVOKED})"
    )


def _decision(d: PointsDecided) -> RecordDecision | RevokeDecision:
    if d.awards:
        return RecordDecision(
            decision_id=d.decision_id,
            member_id=d.member_id,
            source_event_id=d.source_event_id,
            awards=tuple(
                AwardedPoints(
                    award_id=a.award_id,
                    points=a.points,
                    rule_id=a.rule_id,
                    rule_version=a.rule_version,
                    explanation=a.explanation,
                    pending_until=a.pending_until,
                )
                for a in d.awards
            ),
            language=d.language,
        )
    return RevokeDecision(
        decision_id=d.decision_id,
        member_id=d.member_id,
        source_event_id=d.source_event_id,
        revocations=tuple(
            RevokedPoints(
                revocation_id=r.revocation_id,
                points=r.points,
                revokes_event_id=r.revokes_event_id,
                rule_id=r.rule_id,
                rule_version=r.rule_version,
                explanation=r.explanation,
                revokes_award_id=r.revokes_award_id,
            )
            for r in d.revocations
        ),
        language=d.language,
    )


# On the awards topic for the services that speak to members: skipped by the type header.
NOT_FOR_THE_LEDGER = frozenset({MEMBER_PROFILE_CHANGED})


def award_handler(
    uow_factory: Callable[[], UnitOfWork],
    policy: Policy,
    on_committed: Callable[[], None],
) -> BatchHandler:
    """Books a chunk of decisions, and the members' tier news, as one transaction. A member's
    erasure (the rules' ``member.erased``) cuts the chunk: what came before it is booked
    first, what comes after finds the account no one's."""

    erase = on_member_erased(uow_factory, on_committed)

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        return await cut_at(events, lambda e: e.type == MEMBER_ERASED, book, erase)

    async def book(events: Sequence[CloudEvent]) -> dict[int, str]:
        tiers: dict[str, tuple[str, datetime]] = {}

        def points_or_tier(event: CloudEvent) -> PointsCommand | None:
            if event.type in NOT_FOR_THE_LEDGER:
                return None
            if event.type != MEMBER_TIER_CHANGED:
                return to_command(event)
            change = _tier_change(event)  # news about the member, not points: kept aside
            newest = tiers.get(change.member_id)
            if newest is None or newest[1] <= change.changed_at:
                tiers[change.member_id] = (change.tier, change.changed_at)
            return None

        chunk: Commands[PointsCommand] = commands_of(events, points_or_tier)
        if chunk.commands or tiers:
            booked = await book_points(
                chunk.commands, uow=uow_factory(), policy=policy, tiers=tiers
            )
            for index, error in booked.rejected.items():
                chunk.reject(index, str(error))
            if booked.operations:
                on_committed()
        return chunk.rejected

    return handle


def _tier_change(event: CloudEvent) -> TierChanged:
    return payload_of(event, TierChanged)
