"""Translators from ``loyalty.events.v1`` messages to the rules' commands. Each reads and
checks the payload (``PayloadError`` when it breaks the contract)."""

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent, Purchase, PurchaseLine, Return
from shared.contracts.envelope import CloudEvent, event_key
from shared.contracts.erasure import ErasureRequested
from shared.contracts.inbound import PurchaseCompleted, PurchaseReturned, parse_inbound, payload_of
from shared.erasure.use_case import EraseMember


def evaluation(event: CloudEvent) -> EvaluateEvent:
    payload = parse_inbound(event)  # raises PayloadError: the runtime dead-letters it
    purchase = returned = None
    if isinstance(payload, PurchaseCompleted):
        purchase = Purchase(
            currency=payload.currency,
            total=payload.total,
            paid_with_points=payload.paid_with_points,
            lines=tuple(
                PurchaseLine(
                    sku=ln.sku,
                    category=ln.category,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    tags=tuple(ln.tags),
                    attributes=ln.model_extra or {},
                )
                for ln in payload.lines
            ),
        )
    elif isinstance(payload, PurchaseReturned):
        returned = Return(
            original_event_id=event_key(
                payload.original_source or event.source, payload.original_event_id
            ),
            currency=payload.currency,
            amount=payload.amount,
            original_id=payload.original_event_id,
        )
    return EvaluateEvent(
        LoyaltyEvent(
            event_id=event.key,
            source=event.source,
            sent_id=event.id,
            event_type=event.type,
            member_id=event.subject,
            occurred_at=event.time,
            purchase=purchase,
            returned=returned,
            data=payload.model_dump(),
        )
    )


def erasure_request(event: CloudEvent) -> EraseMember:
    """A member asked to be forgotten (the event's subject; its id names the request)."""
    payload_of(event, ErasureRequested)
    return EraseMember(event.subject, event.id)
