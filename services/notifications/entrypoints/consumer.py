"""Turns a ledger event from ``loyalty.ledger.v1`` into a notification command."""

from collections.abc import Callable

from pydantic import ValidationError

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.model import LedgerNotice
from services.notifications.service_layer.handlers import notify_member
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import CloudEvent, derived_id
from shared.contracts.inbound import PayloadError
from shared.contracts.ledger import VOUCHER_EVENT_PREFIX, LedgerEvent, ledger_event_type
from shared.kafka.consumer import Handler


def to_command(event: CloudEvent) -> NotifyMember:
    try:
        data = LedgerEvent.model_validate(event.data)
    except ValidationError as exc:
        raise PayloadError(f"invalid data for {event.type}: {exc}") from exc
    if event.type != ledger_event_type(data.kind):
        raise PayloadError(f"event type {event.type!r} does not match kind {data.kind!r}")
    return NotifyMember(
        LedgerNotice(
            source_event_id=event.id,
            member_id=data.member_id,
            kind=data.kind,
            points=data.points,
            pending=data.status == "pending",
            explanation=data.explanation,
            available_after=data.balance.available,
            occurred_at=data.recorded_at,
        )
    )


def ledger_event_handler(uow_factory: Callable[[], UnitOfWork]) -> Handler:
    async def handle(event: CloudEvent) -> None:
        if event.type.startswith(VOUCHER_EVENT_PREFIX):
            return  # vouchers are announced by their points events for now
        await notify_member(
            to_command(event), message_id=derived_id(event.id, "inbox"), uow=uow_factory()
        )

    return handle
