"""Deciding what an event is worth: matching rules, effects, stacking, multipliers, caps."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from services.rules.domain.audiences import Offer
from services.rules.domain.explanations import explain, explanation_language
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, LoyaltyEvent, PurchaseLine, explained
from services.rules.domain.rules import (
    FixedPoints,
    LinePoints,
    Multiplier,
    PointsPerAmount,
    Rounding,
    Rule,
    ThresholdBonus,
)

_ROUNDING = {
    Rounding.FLOOR: ROUND_FLOOR,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.CEILING: ROUND_CEILING,
}


class Predicate(Protocol):
    """A compiled condition: true or false for the given facts."""

    variables: tuple[str, ...]  # the facts it reads (``member``, ``purchase`` ...)

    def __call__(self, facts: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule with its expressions compiled once, for every event it meets."""

    rule: Rule
    condition: Predicate
    line_filter: Predicate | None = None
    offer: Offer | None = None  # an offer's rule: it applies only to the members it admits

    def admits(self, member: MemberState) -> bool:
        return self.offer is None or self.offer.admits(member.offers, member.member_id)


def to_points(value: Decimal, rounding: Rounding) -> int:
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


def _lines(compiled: Compiled, event: LoyaltyEvent, facts: Mapping[str, Any]) -> list[PurchaseLine]:
    assert event.purchase is not None
    if compiled.line_filter is None:
        return list(event.purchase.lines)
    return [
        line
        for line, line_facts in zip(event.purchase.lines, facts["purchase"]["lines"], strict=True)
        if compiled.line_filter({**facts, "line": line_facts})
    ]


def base_points(
    compiled: Compiled, event: LoyaltyEvent, facts: Mapping[str, Any]
) -> tuple[int, Decimal]:
    """Points of a non-multiplier effect, and the amount they were computed on."""
    effect, purchase = compiled.rule.effect, event.purchase
    match effect:
        case FixedPoints(points=points):
            return points, Decimal(0)
        case PointsPerAmount() if purchase is not None:
            amount = purchase.paid
            if effect.lines is not None:
                share = sum((ln.amount for ln in _lines(compiled, event, facts)), Decimal(0))
                gross = sum((ln.amount for ln in purchase.lines), Decimal(0))
                # lines are list prices: scale to what was actually paid
                amount = (purchase.paid * share / gross) if gross else Decimal(0)
            return to_points(amount / effect.per * effect.points, effect.rounding), amount
        case ThresholdBonus(min_amount=minimum, points=points) if purchase is not None:
            return (points if purchase.paid >= minimum else 0), purchase.paid
        case LinePoints(points_per_unit=per_unit) if purchase is not None:
            units = sum((ln.quantity for ln in _lines(compiled, event, facts)), Decimal(0))
            return to_points(units * per_unit, Rounding.FLOOR), Decimal(0)
    return 0, Decimal(0)


def evaluate(
    event: LoyaltyEvent,
    facts: Mapping[str, Any],
    rules: Sequence[Compiled],
    member: MemberState,
    others: Mapping[str, MemberState] | None = None,
) -> list[Award]:
    """The awards for ``event``, after per-member caps; the member's usage is updated. A rule
    that gives points to another member (its ``beneficiary``: a referral's friend) counts its
    caps on that member, found in ``others`` (missing: an erased member, who gets nothing)."""
    matching = sorted(
        (
            c
            for c in rules
            if event.event_type in c.rule.event_types
            and c.rule.is_active(event.occurred_at)
            and c.admits(member)
            and c.condition(facts)
        ),
        key=lambda c: (-c.rule.priority, c.rule.rule_id),
    )
    exclusive_taken = False
    earned: list[tuple[Rule, int, Decimal]] = []
    multipliers: list[Rule] = []
    for compiled in matching:
        if not compiled.rule.stacks:
            if exclusive_taken:
                continue
            exclusive_taken = True
        if isinstance(compiled.rule.effect, Multiplier):
            multipliers.append(compiled.rule)
        else:
            points, amount = base_points(compiled, event, facts)
            earned.append((compiled.rule, points, amount))
    for rule in multipliers:
        effect = rule.effect
        assert isinstance(effect, Multiplier)
        pool = sum(
            p for r, p, _ in earned if not effect.applies_to or r.rule_id in effect.applies_to
        )
        earned.append((rule, to_points(pool * (effect.factor - 1), effect.rounding), Decimal(0)))
    language = explanation_language([rule for rule, _, _ in earned], member.language)
    return [
        award
        for rule, points, amount in earned
        if (award := _award(rule, points, amount, event, member, others or {}, language))
        is not None
    ]


def _award(
    rule: Rule,
    points: int,
    amount: Decimal,
    event: LoyaltyEvent,
    member: MemberState,
    others: Mapping[str, MemberState],
    language: str,
) -> Award | None:
    caps = rule.caps
    beneficiary = event.member_id
    if rule.beneficiary is not None:
        beneficiary = str(event.data.get(rule.beneficiary) or "")
        if beneficiary != event.member_id:
            holder = others.get(beneficiary)
            if holder is None:
                return None
            member = holder
    points = member.allowed(
        rule.rule_id,
        points,
        event.occurred_at,
        per_day=caps.per_member_per_day,
        per_month=caps.per_member_per_month,
        once=caps.once_per_member,
        once_per_year=caps.once_per_year,
        in_total=caps.per_member_total,
    )
    if points <= 0 or not beneficiary:
        return None
    member.record_award(rule.rule_id, points, event.occurred_at)
    purchase = event.purchase
    currency = purchase.currency if purchase else ""
    paid_in = purchase.paid_in if purchase else None
    paid_amount = purchase.as_paid(amount) if purchase else Decimal(0)
    pending = None
    if rule.pending_days:
        pending = event.occurred_at + timedelta(days=rule.pending_days)
    values = explained(points, amount, paid_in, paid_amount)
    return Award(
        member_id=beneficiary,
        points=points,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        driver=rule.driver.value,
        explanation=explain(rule, language, currency=currency, **values),
        language=language,
        amount=amount,
        paid_in=paid_in,
        paid_amount=paid_amount,
        source_event_id=event.event_id,
        source_event_type=event.event_type,
        awarded_at=event.occurred_at,
        pending_until=pending,
        funded_by=rule.funded_by,
        notice=rule.notice,
    )


def why_not(
    event: LoyaltyEvent,
    facts: Mapping[str, Any],
    rules: Sequence[Compiled],
    fired: set[str],
    member: MemberState | None = None,
) -> list[tuple[str, str]]:
    """For each rule that gave this event nothing, the first reason why, in priority order: a
    simulator shows them beside the rules that fired."""
    reasons: list[tuple[str, str]] = []
    exclusive_fired = any(not c.rule.stacks for c in rules if c.rule.rule_id in fired)
    for compiled in sorted(rules, key=lambda c: (-c.rule.priority, c.rule.rule_id)):
        rule = compiled.rule
        if rule.rule_id in fired:
            continue
        if event.event_type not in rule.event_types:
            why = f"it listens to {', '.join(rule.event_types)}, not {event.event_type}"
        elif not rule.is_active(event.occurred_at):
            why = "it is not active at the event's time"
        elif member is not None and not compiled.admits(member):
            why = "the offer is not this member's (not in its audience, in its control group, "
            why += "or not activated)"
        elif not compiled.condition(facts):
            why = "its condition is false for this event"
        elif not rule.stacks and exclusive_fired:
            why = "it does not stack, and a rule of higher priority that does not stack fired"
        else:
            why = (
                "it came to no points: no qualifying amount or lines, or a cap or budget is used up"
            )
        reasons.append((rule.rule_id, why))
    return reasons
