"""Turns an event from ``loyalty.events.v1`` into a command for the rules."""

from collections.abc import Callable, Sequence

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import Decision, LoyaltyEvent, Purchase, PurchaseLine, Return
from services.rules.service_layer.handlers import evaluate_events
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared import metrics
from shared.contracts.envelope import CloudEvent, event_key
from shared.contracts.erasure import ERASURE_REQUESTED, ErasureRequested
from shared.contracts.inbound import (
    PayloadError,
    PurchaseCompleted,
    PurchaseReturned,
    parse_inbound,
    payload_of,
)
from shared.erasure import MemberWasErased, erase_once
from shared.kafka.chunks import BatchHandler, commands_of, cut_at
from shared.kafka.dead_letter import MemberForgotten


def to_command(event: CloudEvent) -> EvaluateEvent:
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


def event_handler(
    uow_factory: Callable[[], UnitOfWork], book: RuleBook, on_committed: Callable[[], None]
) -> BatchHandler:
    """Decides a chunk of events as one transaction; an erasure request cuts the chunk: what
    came before it is decided first, what comes after finds the member forgotten."""

    async def erase(event: CloudEvent) -> str | None:
        try:
            payload_of(event, ErasureRequested)
        except PayloadError as exc:
            return str(exc)
        await erase_once(uow_factory(), event.subject, event.id)
        on_committed()
        return None

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        return await cut_at(events, lambda e: e.type == ERASURE_REQUESTED, decide, erase)

    async def decide(events: Sequence[CloudEvent]) -> dict[int, str]:
        chunk = commands_of(events, to_command)
        if not chunk.commands:
            return chunk.rejected
        result = await evaluate_events(chunk.commands, uow=uow_factory(), book=book)
        for index, reason in result.rejected.items():
            # An erased member's message: its dead letter keeps nothing of it.
            forgotten = isinstance(reason, MemberWasErased)
            chunk.reject(index, MemberForgotten(reason) if forgotten else str(reason))
        decisions = [d.decision for d in result.decided]
        if decisions:  # their messages wait in the outbox
            on_committed()
        for decision in decisions:
            count_points(decision)
        return chunk.rejected

    return handle


def count_points(decision: Decision) -> None:
    """Points by driver and rule on /metrics, once the decision is committed."""
    for award in decision.awards:
        metrics.POINTS_AWARDED.labels(award.driver, award.rule_id).inc(award.points)
    for revocation in decision.revocations:
        metrics.POINTS_REVOKED.labels(revocation.rule_id).inc(revocation.points)
