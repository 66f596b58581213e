"""Challenges in the chunk work: the steps an event makes, and the reward of a completion.

Progress is kept in the member's state, which is saved with the event's claim in one
transaction: a redelivered event finds itself claimed and counts nothing; a crash before the
commit leaves neither the claim nor the step.
"""

from collections.abc import Mapping
from datetime import datetime
from string import Template
from typing import Any

from services.rules.domain.challenges import Step, advance
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, LoyaltyEvent
from services.rules.service_layer.rulebook import RuleBook

# What the member reads for a challenge's points.
COMPLETED = {
    "en": '$points points: you completed the challenge "$name"',
    "da": '$points point: du gennemførte udfordringen "$name"',
    "sv": '$points poäng: du klarade utmaningen "$name"',
}


def take_steps(
    event: LoyaltyEvent,
    member: MemberState,
    facts: Mapping[str, Any],
    book: RuleBook,
    speaking: str,
) -> tuple[list[Step], list[Award]]:
    """Count ``event`` towards the member's live challenges (those of an audience only when
    they are in it); a completion earns its points (an award under ``challenge:<id>``) and
    its badge, once. ``speaking``: the language the event's other awards are explained in."""
    steps: list[Step] = []
    awards: list[Award] = []
    moment = event.occurred_at
    for challenge, condition in book.challenges:
        if event.event_type not in challenge.event_types:
            continue
        if challenge.audience is not None and challenge.audience not in member.audiences:
            continue
        if not challenge.is_live(moment) or not condition(facts):
            continue
        categories = tuple(ln.category for ln in event.purchase.lines) if event.purchase else ()
        joined = challenge.challenge_id not in member.challenges
        made = advance(
            challenge,
            member.challenges,
            member.member_id,
            moment,
            categories=categories,
            zone=member.timezone,
        )
        if made is None:
            continue
        progress, moved = made
        member.challenges[challenge.challenge_id] = progress
        if not moved:
            continue
        completed = progress.count >= challenge.target
        language = speaking if speaking in challenge.name else "en"
        if completed:
            progress.completed_at = moment.isoformat()
            if challenge.badge is not None:
                member.badges.setdefault(challenge.badge.badge_id, moment.isoformat())
            if challenge.points > 0:
                awards.append(_award(challenge, member, event, language))
        steps.append(
            Step(
                challenge=challenge,
                member_id=member.member_id,
                count=progress.count,
                at=moment,
                joined=joined,
                since=datetime.fromisoformat(progress.started),
                completed=completed,
                one_left=challenge.nudge and progress.count == challenge.target - 1,
                language=language,
            )
        )
    return steps, awards


def _award(challenge: Any, member: MemberState, event: LoyaltyEvent, language: str) -> Award:
    points = challenge.points
    member.record_award(challenge.rule_id, points, event.occurred_at)
    explanation = Template(COMPLETED.get(language, COMPLETED["en"])).safe_substitute(
        points=points,
        name=challenge.text(challenge.name, language),
    )
    return Award(
        member_id=member.member_id,
        points=points,
        rule_id=challenge.rule_id,
        rule_version=challenge.version,
        driver="emotional",
        explanation=explanation,
        source_event_id=event.event_id,
        source_event_type=event.event_type,
        awarded_at=event.occurred_at,
        funded_by=challenge.funded_by,
        language=language,
    )
