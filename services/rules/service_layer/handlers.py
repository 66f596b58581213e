"""Use cases of the rules service: evaluate an event (once), and simulate one (never writing)."""

import dataclasses

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.engine import evaluate
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, Decision, TierChange
from services.rules.domain.observe import observe
from services.rules.domain.returns import PurchaseRecord, UnknownPurchase
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork


async def evaluate_event(
    command: EvaluateEvent, *, uow: UnitOfWork, book: RuleBook
) -> Decision | None:
    """Award (or, for a return, take back) what the event is worth, once per event id."""
    book = await book.current()
    async with uow:
        if await uow.was_processed(command.event.event_id):
            return None
        decision, purchase = await _decide(command, uow, book, budgets=True)
        await uow.record(command.event, decision, purchase)
        await uow.commit()
    return decision


async def simulate_event(command: EvaluateEvent, *, uow: UnitOfWork, book: RuleBook) -> Decision:
    """What the event would earn this member now, and why; nothing is written."""
    book = await book.current()
    async with uow:  # left without commit: everything is rolled back
        decision, _ = await _decide(command, uow, book, budgets=False)
    return decision


async def _decide(
    command: EvaluateEvent, uow: UnitOfWork, book: RuleBook, *, budgets: bool
) -> tuple[Decision, PurchaseRecord | None]:
    event = command.event
    member = await uow.member_for_update(event.member_id)
    observe(member, event)
    if event.returned is not None:
        purchase = await uow.purchase(event.returned.original_event_id, event.member_id)
        if purchase is None:
            raise UnknownPurchase(
                f"return of unknown purchase {event.returned.original_event_id!r}"
            )
        revocations = purchase.take_back(
            event.returned,
            return_event_id=event.event_id,
            member_language=member.language,
            now=event.occurred_at,
        )
        for revocation in revocations:
            member.record_award(revocation.rule_id, -revocation.points, event.occurred_at)
            if budgets:
                await uow.refund_budget(revocation.rule_id, revocation.points)
        return Decision(member, revocations=revocations), purchase
    awards = evaluate(event, book.facts(event, member), book.rules, member)
    if budgets:
        awards = await _within_budgets(awards, uow, book, member)
    previous = member.tier
    review = event.event_type == "member.anniversary"
    member.tier = book.tier_for(member, event, review=review)
    change = None
    # A change is news; so is keeping a tier at the yearly review ("you keep Gold").
    if member.tier != previous or (review and member.tier != book.lowest_tier()):
        change = TierChange(
            member_id=member.member_id,
            previous=previous,
            tier=member.tier,
            qualifying_points=member.qualifying_points_12m(event.occurred_at),
            changed_at=event.occurred_at,
            cause_event_id=event.event_id,
        )
    purchase = None
    if event.purchase is not None:
        purchase = PurchaseRecord(
            event_id=event.event_id,
            member_id=event.member_id,
            currency=event.purchase.currency,
            paid=event.purchase.paid,
        )
        purchase.record(awards)
    return Decision(member, awards=awards, tier_change=change), purchase


async def _within_budgets(
    awards: list[Award], uow: UnitOfWork, book: RuleBook, member: MemberState
) -> list[Award]:
    budgets = {c.rule.rule_id: c.rule.caps.budget for c in book.rules if c.rule.caps.budget}
    kept = []
    for award in awards:
        budget = budgets.get(award.rule_id)
        granted = (
            award.points
            if budget is None
            else await uow.reserve_budget(award.rule_id, award.points, budget)
        )
        if granted < award.points:
            member.record_award(award.rule_id, granted - award.points, award.awarded_at)
        if granted > 0:
            kept.append(dataclasses.replace(award, points=granted))
    return kept
