"""Awards and revocations as they travel on ``loyalty.awards.v1``."""

from services.rules.domain.model import Award, Revocation, TierChange
from shared.contracts.awards import (
    MEMBER_TIER_CHANGED,
    POINTS_AWARDED,
    POINTS_REVOKED,
    PointsAwarded,
    PointsRevoked,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent, derived_id, new_event

SOURCE = "pointstream/rules"


def award_id(award: Award) -> str:
    """The id of an award: its event's id on the awards topic, and its row in ``awards``."""
    return derived_id(award.source_event_id, award.rule_id)


def revocation_id(revocation: Revocation) -> str:
    return derived_id(revocation.source_event_id, revocation.rule_id, "revoke")


def award_event(award: Award) -> CloudEvent:
    payload = PointsAwarded(
        award_id=award_id(award),
        member_id=award.member_id,
        points=award.points,
        rule_id=award.rule_id,
        rule_version=award.rule_version,
        driver=award.driver,
        explanation=award.explanation,
        source_event_id=award.source_event_id,
        source_event_type=award.source_event_type,
        awarded_at=award.awarded_at,
        pending_until=award.pending_until,
        funded_by=award.funded_by,
    )
    return new_event(
        id=payload.award_id,
        source=SOURCE,
        type=POINTS_AWARDED,
        subject=award.member_id,
        data=payload.model_dump(mode="json"),
        time=award.awarded_at,
    )


def revocation_event(revocation: Revocation) -> CloudEvent:
    payload = PointsRevoked(
        revocation_id=revocation_id(revocation),
        member_id=revocation.member_id,
        points=revocation.points,
        revokes_event_id=revocation.revokes_event_id,
        rule_id=revocation.rule_id,
        rule_version=revocation.rule_version,
        explanation=revocation.explanation,
        source_event_id=revocation.source_event_id,
        revoked_at=revocation.revoked_at,
    )
    return new_event(
        id=payload.revocation_id,
        source=SOURCE,
        type=POINTS_REVOKED,
        subject=revocation.member_id,
        data=payload.model_dump(mode="json"),
        time=revocation.revoked_at,
    )


def tier_event(change: TierChange) -> CloudEvent:
    payload = TierChanged(
        member_id=change.member_id,
        tier=change.tier,
        previous_tier=change.previous,
        qualifying_points=change.qualifying_points,
        changed_at=change.changed_at,
    )
    return new_event(
        id=derived_id(change.cause_event_id, "tier", change.tier),
        source=SOURCE,
        type=MEMBER_TIER_CHANGED,
        subject=change.member_id,
        data=payload.model_dump(mode="json"),
        time=change.changed_at,
    )
