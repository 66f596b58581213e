"""Translators from the awards topic's messages to the ledger's commands: each reads and
checks one type's payload (``PayloadError`` when it breaks the contract)."""

from typing import TypeVar

from services.ledger.domain.commands import (
    AwardedPoints,
    GiveReward,
    NotePrice,
    NoteTier,
    RecordAward,
    RecordDecision,
    RevokeDecision,
    RevokedPoints,
    RevokePoints,
)
from shared.contracts.awards import (
    ChallengeNews,
    OfferGranted,
    PointsAwarded,
    PointsDecided,
    PointsRevoked,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError, payload_of

M = TypeVar("M", PointsAwarded, PointsRevoked, PointsDecided)


def _payload(event: CloudEvent, model: type[M]) -> M:
    payload = payload_of(event, model)
    if payload.member_id != event.subject:
        raise PayloadError("the payload's member_id differs from the event's subject")
    return payload


def decision(event: CloudEvent) -> RecordDecision | RevokeDecision:
    d = _payload(event, PointsDecided)
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
                    notice=a.notice,
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


def award(event: CloudEvent) -> RecordAward:
    """A one-award message of rules from before decisions (see ``PointsCommand``)."""
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


def revocation(event: CloudEvent) -> RevokePoints:
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


def tier(event: CloudEvent) -> NoteTier:
    change = payload_of(event, TierChanged)
    return NoteTier(member_id=change.member_id, tier=change.tier, changed_at=change.changed_at)


def offer_price(event: CloudEvent) -> NotePrice | None:
    """An offer given to a member: a cheaper reward is noted; an offer of points is not the
    ledger's news (its points arrive as any rule's)."""
    offer = payload_of(event, OfferGranted)
    if offer.reward_id is None or offer.reward_points is None:
        return None
    return NotePrice(
        member_id=offer.member_id,
        reward_id=offer.reward_id,
        offer_id=offer.offer_id,
        points=offer.reward_points,
        valid_until=offer.valid_until,
        granted_at=offer.granted_at,
    )


def challenge_prize(event: CloudEvent) -> GiveReward | None:
    """A challenge completed: its catalogue reward, if it has one, given free (its points
    arrive as any rule's; its badge is the rules')."""
    news = payload_of(event, ChallengeNews)
    if news.reward_id is None:
        return None
    return GiveReward(
        member_id=news.member_id, reward_id=news.reward_id, gift_id=event.id, given_at=news.at
    )
