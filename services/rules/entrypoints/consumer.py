"""Turns an event from ``loyalty.events.v1`` into a command for the rules."""

import functools
from collections.abc import Callable

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import Decision, LoyaltyEvent, Purchase, PurchaseLine, Return
from services.rules.domain.returns import InvalidReturn
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared import metrics
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import (
    PayloadError,
    PurchaseCompleted,
    PurchaseReturned,
    parse_inbound,
)
from shared.kafka.consumer import Handler
from shared.uow import after_commit


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
                )
                for ln in payload.lines
            ),
        )
    elif isinstance(payload, PurchaseReturned):
        returned = Return(
            original_event_id=payload.original_event_id,
            currency=payload.currency,
            amount=payload.amount,
        )
    return EvaluateEvent(
        LoyaltyEvent(
            event_id=event.id,
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
) -> Handler:
    async def handle(event: CloudEvent) -> None:
        try:
            decision = await evaluate_event(to_command(event), uow=uow_factory(), book=book)
        except InvalidReturn as exc:
            raise PayloadError(str(exc)) from exc
        if decision is not None and (decision.awards or decision.revocations):
            after_commit(on_committed)
            after_commit(functools.partial(count_points, decision))

    return handle


def count_points(decision: Decision) -> None:
    """Points by driver and rule on /metrics, once the decision is committed."""
    for award in decision.awards:
        metrics.POINTS_AWARDED.labels(award.driver, award.rule_id).inc(award.points)
    for revocation in decision.revocations:
        metrics.POINTS_REVOKED.labels(revocation.rule_id).inc(revocation.points)
