"""Turns an event from ``loyalty.events.v1`` into a command for the rules."""

from collections.abc import Callable

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent, Purchase
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PurchaseCompleted, parse_inbound
from shared.kafka.consumer import Handler


def to_command(event: CloudEvent) -> EvaluateEvent:
    payload = parse_inbound(event)  # raises PayloadError: the runtime dead-letters it
    purchase = None
    if isinstance(payload, PurchaseCompleted):
        purchase = Purchase(currency=payload.currency, total=payload.total)
    return EvaluateEvent(
        LoyaltyEvent(
            event_id=event.id,
            event_type=event.type,
            member_id=event.subject,
            occurred_at=event.time,
            purchase=purchase,
        )
    )


def event_handler(
    uow_factory: Callable[[], UnitOfWork], on_committed: Callable[[], None]
) -> Handler:
    async def handle(event: CloudEvent) -> None:
        if await evaluate_event(to_command(event), uow=uow_factory()):
            on_committed()

    return handle
