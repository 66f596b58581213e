"""Use cases of the rules service: evaluate a chunk of events (each once), and simulate one
(never writing).

A chunk is one unit of work: the processed ids, member states, purchases that returns refer
to and budgets are loaded with one query each, every event is decided in memory in order (a
purchase and its return may share a chunk), and everything is written with one statement per
kind of row. An event that breaks the contract (a return of an unknown purchase) is rejected
before it changes anything in memory, so it leaves no trace.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.rules.domain.audiences import Placement
from services.rules.domain.budgets import Budgets
from services.rules.domain.challenges import Step
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.engine import evaluate, why_not
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, Decision, LoyaltyEvent, TierChange
from services.rules.domain.observe import observe
from services.rules.domain.returns import InvalidReturn, PurchaseRecord, UnknownPurchase
from services.rules.service_layer.challenges import take_steps
from services.rules.service_layer.conversion import in_program_currency
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UNREMEMBERED, Decided, UnitOfWork
from shared.erasure.model import MemberWasErased


@dataclass(slots=True)
class ChunkDecisions:
    decided: list[Decided] = field(default_factory=list)
    # command index -> why: a return that does not fit, a purchase in a currency without a
    # rate, or a member who was erased
    rejected: dict[int, Exception] = field(default_factory=dict)


async def evaluate_events(
    commands: Sequence[EvaluateEvent], *, uow: UnitOfWork, book: RuleBook
) -> ChunkDecisions:
    """Award (or, for a return, take back) what each event is worth, once per event id."""
    book = await book.refreshed()
    events = [c.event for c in commands]
    out = ChunkDecisions()
    async with uow:
        now = datetime.now(UTC)
        seen = await uow.events.claim(events, now)
        events = await in_program_currency(events, uow, book.currency, out.rejected)
        beneficiaries = {m for e in events for m in book.beneficiaries(e)}
        members = await uow.members.members_for_update(
            {e.member_id for e in events} | beneficiaries
        )
        if missing := {e.member_id for e in events} - members.keys():  # erased: refused
            erased = await uow.members.erased(missing)
            # (a repeat of an event processed before the erasure is skipped, not refused)
            seen_at = {i for i, e in enumerate(events) if e.event_id in seen}
            for index, event in enumerate(events):
                if event.member_id in erased and index not in out.rejected.keys() | seen_at:
                    out.rejected[index] = MemberWasErased(event.member_id, erased[event.member_id])
        purchases = await uow.purchases.records(
            {k for e in events if e.returned is not None for k in e.returned.purchase_keys()}
        )
        budgets = Budgets({}, {})
        limits = book.budgets_for({e.event_type for e in events})
        if limits:
            budgets = Budgets(limits, await uow.budgets.budgets_for_update(sorted(limits)))
        for index, event in enumerate(events):
            if event.event_id in seen or index in out.rejected:
                continue
            try:
                decided = _decide(event, members, purchases, book, budgets, now)
            except InvalidReturn as exc:
                out.rejected[index] = exc
                continue
            seen.add(event.event_id)
            if decided.purchase is not None:
                purchases[decided.purchase.event_id] = decided.purchase
            out.decided.append(decided)
        if out.decided:  # (else nothing is committed: the claims go with the rollback)
            refused = {events[i].event_id for i in out.rejected}
            await uow.events.release(refused - {d.event.event_id for d in out.decided})
            await uow.save(out.decided, budgets.changed())
            await uow.commit()
    return out


async def evaluate_event(
    command: EvaluateEvent, *, uow: UnitOfWork, book: RuleBook
) -> Decision | None:
    """One event, as a chunk of one: its decision, None for a repeat; raises if rejected."""
    result = await evaluate_events([command], uow=uow, book=book)
    if result.rejected:
        raise result.rejected[0]
    return result.decided[0].decision if result.decided else None


async def simulate_event(command: EvaluateEvent, *, uow: UnitOfWork, book: RuleBook) -> Decision:
    """What the event would earn this member now, and why; nothing is written or locked."""
    return (await simulate_with_reasons(command, uow=uow, book=book))[0]


async def simulate_with_reasons(
    command: EvaluateEvent, *, uow: UnitOfWork, book: RuleBook
) -> tuple[Decision, list[tuple[str, str]]]:
    """The simulation, and why each rule that gave nothing did not (rule id, reason)."""
    book = await book.refreshed()
    event = command.event
    async with uow:  # left without commit: nothing is written
        erased = await uow.members.erased([event.member_id])
        if erased:
            raise MemberWasErased(event.member_id, erased[event.member_id])
        friends = book.beneficiaries(event)
        gone = await uow.members.erased(friends) if friends else {}
        others = {m: await uow.members.member(m) for m in friends if m not in gone}
        members = {**others, event.member_id: await uow.members.member(event.member_id)}
        rejected: dict[int, Exception] = {}
        event = (await in_program_currency([event], uow, book.currency, rejected))[0]
        if rejected:
            raise rejected[0]
        purchases = {}
        if event.returned is not None:
            purchases = await uow.purchases.records(set(event.returned.purchase_keys()))
        decision = _decide(event, members, purchases, book, Budgets({}, {}), None).decision
    fired = {a.rule_id for a in decision.awards} | {r.rule_id for r in decision.revocations}
    if event.returned is not None:
        return decision, []  # a return takes back what its purchase earned; no rule decides
    facts = book.facts(event, decision.member)
    return decision, why_not(event, facts, book.rules, fired, decision.member)


def _decide(
    event: LoyaltyEvent,
    members: Mapping[str, MemberState],
    purchases: Mapping[str, PurchaseRecord],
    book: RuleBook,
    budgets: Budgets,
    now: datetime | None,
) -> Decided:
    """``members``: the event's member, and those rules may give points to for it (an erased
    one is missing: they get nothing)."""
    member = members[event.member_id]
    if event.returned is not None:
        purchase = next(
            (p for k in event.returned.purchase_keys() if (p := purchases.get(k)) is not None),
            None,
        )
        if purchase is None or purchase.member_id != event.member_id:
            named = event.returned.original_id or event.returned.original_event_id
            raise UnknownPurchase(f"return of unknown purchase {named!r}")
        purchase.check(event.returned)  # refuses before anything changes
        observe(member, event)
        revocations = purchase.take_back(
            event.returned,
            return_event_id=event.event_id,
            member_language=member.language,
            now=event.occurred_at,
        )
        if book.funders:
            revocations = [
                dataclasses.replace(r, funded_by=book.funders.get(r.rule_id)) for r in revocations
            ]
        for revocation in revocations:
            member.record_award(revocation.rule_id, -revocation.points, event.occurred_at)
            budgets.refund(revocation.rule_id, revocation.points)
        return Decided(event, Decision(member, revocations=revocations), purchase)
    observe(member, event)
    moment = event.occurred_at
    known = member.facts(moment, book.cuts)  # what the rules see, the history keeps
    event_facts = book.facts(event, member, known)
    evaluated = evaluate(event, event_facts, book.rules, member, members)
    awards = [a for a in (_granted(a, budgets, member) for a in evaluated) if a is not None]
    steps: list[Step] = []
    if book.challenges:
        speaking = awards[0].language if awards else member.language
        steps, completions = take_steps(event, member, event_facts, book, speaking)
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
            names={t.name: {str(k): v for k, v in t.names.items()} for t in book.tiers},
        )
    record = None
    if event.purchase is not None:
        bought = event.purchase
        record = PurchaseRecord(
            event_id=event.event_id,
            member_id=event.member_id,
            currency=bought.paid_in or bought.currency,  # what a return of it is in
            paid=bought.paid_in_paid if bought.paid_in else bought.paid,
            rate=bought.rate,
            counted=bought.paid if bought.paid_in else None,
            counted_in=bought.currency if bought.paid_in else None,
            sent_as=(event.source, event.sent_id) if event.sent_id else None,
        )
        record.record(awards)
    if steps:
        awards += completions  # (not taken back by a return: the challenge was completed)
    others = [members[m] for m in sorted({a.member_id for a in awards} - {member.member_id})]
    decision = Decision(member, awards=awards, tier_change=change, others=others)
    placement = Placement()
    if book.places and now is not None:
        placement = _placed(member, known, moment, now, book)
    remembered = known if event.event_type not in UNREMEMBERED else None
    return Decided(event, decision, record, placement, remembered, steps)


# An event this close to the time it is processed: audiences are kept with the facts the rules
# saw (a day-count fact is at most this much off); an older one (a till's late upload, a
# purchase from last month) moves its member as of now.
_NEAR = timedelta(seconds=60)


def _placed(
    member: MemberState, known: dict[str, Any], moment: datetime, now: datetime, book: RuleBook
) -> Placement:
    """Move the member into and out of audiences as of ``now``, after the event."""
    if abs(now - moment) <= _NEAR:
        facts = {
            **known,
            "tier": member.tier,
            "qualifying_points_12m": member.qualifying_points_12m(moment),
        }
    else:
        facts, moment = member.facts(now, book.cuts), now
    return book.place(member, facts, moment)


def _granted(award: Award, budgets: Budgets, member: MemberState) -> Award | None:
    """The award as far as its rule's budget allows (None when nothing is left)."""
    granted = budgets.reserve(award.rule_id, award.points)
    if granted < award.points:
        member.record_award(award.rule_id, granted - award.points, award.awarded_at)
    if granted == award.points:
        return award
    return dataclasses.replace(award, points=granted) if granted > 0 else None
