"""The rules' consumer of ``loyalty.events.v1``: what handles each event type (the
:data:`ROUTES` table), and the chunk handler that carries the commands out."""

from collections.abc import Callable, Sequence

from services.rules.adapters import messages
from services.rules.domain.model import Decision
from services.rules.service_layer.handlers import evaluate_events
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared import metrics
from shared.contracts.envelope import CloudEvent
from shared.contracts.erasure import ERASURE_REQUESTED
from shared.erasure.model import MemberWasErased
from shared.erasure.use_case import erasure_cut
from shared.kafka.chunks import BatchHandler, cut_at
from shared.kafka.dead_letter import MemberForgotten
from shared.kafka.dispatch import Dispatch, Route

EVALUATE, ERASE = "evaluate_events", "erase_once"  # the use cases

# Event type → translator (event → command) → use case. An erasure request is carried out
# alone, between the chunk's parts.
ROUTES = Dispatch(
    "the events topic",
    {
        "purchase.completed": Route(messages.evaluation, EVALUATE),
        "purchase.returned": Route(messages.evaluation, EVALUATE),
        "member.enrolled": Route(messages.evaluation, EVALUATE),
        "member.profile_completed": Route(messages.evaluation, EVALUATE),
        "member.profile_updated": Route(messages.evaluation, EVALUATE),
        "member.activity": Route(messages.evaluation, EVALUATE),
        "referral.completed": Route(messages.evaluation, EVALUATE),
        "complaint.opened": Route(messages.evaluation, EVALUATE),
        "complaint.resolved": Route(messages.evaluation, EVALUATE),
        "offer.activated": Route(messages.evaluation, EVALUATE),
        ERASURE_REQUESTED: Route(messages.erasure_request, ERASE, cuts=True),
    },
)


def event_handler(
    uow_factory: Callable[[], UnitOfWork], book: RuleBook, on_committed: Callable[[], None]
) -> BatchHandler:
    """Decides a chunk of events as one transaction; an erasure request cuts the chunk: what
    came before it is decided first, what comes after finds the member forgotten."""

    erase = erasure_cut(ROUTES.command, uow_factory, on_committed)

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        return await cut_at(events, ROUTES.cuts, decide, erase)

    async def decide(events: Sequence[CloudEvent]) -> dict[int, str]:
        sorted_ = ROUTES.sort(events)
        chunk = sorted_.of(EVALUATE)
        if not chunk.commands:
            return sorted_.take_rejected()
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
        return sorted_.take_rejected()

    return handle


def count_points(decision: Decision) -> None:
    """Points by driver and rule on /metrics, once the decision is committed."""
    for award in decision.awards:
        metrics.POINTS_AWARDED.labels(award.driver, award.rule_id).inc(award.points)
    for revocation in decision.revocations:
        metrics.POINTS_REVOKED.labels(revocation.rule_id).inc(revocation.points)
