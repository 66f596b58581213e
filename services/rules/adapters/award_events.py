"""Awards as they travel on ``loyalty.awards.v1``."""

from services.rules.domain.model import Award
from shared.contracts.awards import POINTS_AWARDED, PointsAwarded
from shared.contracts.envelope import CloudEvent, derived_id, new_event

SOURCE = "pointstream/rules"


def award_event(award: Award) -> CloudEvent:
    award_id = derived_id(award.source_event_id, award.rule_id)
    payload = PointsAwarded(
        award_id=award_id,
        member_id=award.member_id,
        points=award.points,
        rule_id=award.rule_id,
        rule_version=award.rule_version,
        explanation=award.explanation,
        source_event_id=award.source_event_id,
        source_event_type=award.source_event_type,
        awarded_at=award.awarded_at,
    )
    return new_event(
        id=award_id,
        source=SOURCE,
        type=POINTS_AWARDED,
        subject=award.member_id,
        data=payload.model_dump(mode="json"),
        time=award.awarded_at,
    )
