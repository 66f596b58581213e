"""Turns an award from ``loyalty.awards.v1`` into a command for the ledger."""

from collections.abc import Callable

from pydantic import ValidationError

from services.ledger.domain.commands import RecordAward
from services.ledger.service_layer.handlers import record_award
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.contracts.awards import POINTS_AWARDED, PointsAwarded
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError
from shared.kafka.consumer import Handler


def to_command(event: CloudEvent) -> RecordAward:
    if event.type != POINTS_AWARDED:
        raise PayloadError(f"unexpected event type {event.type!r} on the awards topic")
    try:
        award = PointsAwarded.model_validate(event.data)
    except ValidationError as exc:
        raise PayloadError(f"invalid data for {event.type}: {exc}") from exc
    if award.member_id != event.subject:
        raise PayloadError("the award's member_id differs from the event's subject")
    return RecordAward(
        award_id=award.award_id,
        member_id=award.member_id,
        points=award.points,
        rule_id=award.rule_id,
        rule_version=award.rule_version,
        explanation=award.explanation,
        source_event_id=award.source_event_id,
        pending_until=award.pending_until,
    )


def award_handler(
    uow_factory: Callable[[], UnitOfWork], on_committed: Callable[[], None]
) -> Handler:
    async def handle(event: CloudEvent) -> None:
        if await record_award(to_command(event), uow=uow_factory()) is not None:
            on_committed()

    return handle
