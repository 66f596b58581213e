"""Ledger events as they travel on ``loyalty.ledger.v1``."""

from services.ledger.domain.model import PointsEarned
from shared.contracts.envelope import CloudEvent, derived_id, new_event
from shared.contracts.ledger import POINTS_EARNED, BalanceSnapshot
from shared.contracts.ledger import PointsEarned as PointsEarnedPayload

SOURCE = "pointstream/ledger"


def ledger_event(event: PointsEarned) -> CloudEvent:
    entry = event.entry
    payload = PointsEarnedPayload(
        entry_id=entry.entry_id,
        member_id=entry.member_id,
        points=entry.points,
        status=entry.status.value,
        rule_id=entry.rule_id,
        rule_version=entry.rule_version,
        explanation=entry.explanation,
        source_event_id=entry.source_event_id,
        recorded_at=entry.recorded_at,
        balance=BalanceSnapshot(
            available=event.balance.available,
            pending=event.balance.pending,
            lifetime_earned=event.balance.lifetime_earned,
        ),
    )
    return new_event(
        id=derived_id(entry.entry_id, POINTS_EARNED),
        source=SOURCE,
        type=POINTS_EARNED,
        subject=entry.member_id,
        data=payload.model_dump(mode="json"),
        time=entry.recorded_at,
    )
