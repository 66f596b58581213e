"""Turns a ledger event from ``loyalty.ledger.v1`` into a notification command."""

import logging
from collections.abc import Callable

from pydantic import ValidationError

from services.notifications.domain.commands import NotifyPointsEarned
from services.notifications.domain.model import PointsEarnedNotice
from services.notifications.service_layer.handlers import notify_points_earned
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import CloudEvent, derived_id
from shared.contracts.inbound import PayloadError
from shared.contracts.ledger import POINTS_EARNED, PointsEarned
from shared.kafka.consumer import Handler

log = logging.getLogger(__name__)


def to_command(event: CloudEvent) -> NotifyPointsEarned:
    try:
        earned = PointsEarned.model_validate(event.data)
    except ValidationError as exc:
        raise PayloadError(f"invalid data for {event.type}: {exc}") from exc
    return NotifyPointsEarned(
        PointsEarnedNotice(
            source_event_id=event.id,
            member_id=earned.member_id,
            points=earned.points,
            pending=earned.status == "pending",
            explanation=earned.explanation,
            available_after=earned.balance.available,
            occurred_at=earned.recorded_at,
        )
    )


def ledger_event_handler(uow_factory: Callable[[], UnitOfWork]) -> Handler:
    async def handle(event: CloudEvent) -> None:
        if event.type != POINTS_EARNED:
            # Ledger event types this service has no message for yet are not errors.
            log.debug("no notification for ledger event", extra={"type": event.type})
            return
        await notify_points_earned(
            to_command(event), message_id=derived_id(event.id, "inbox"), uow=uow_factory()
        )

    return handle
