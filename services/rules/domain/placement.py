"""Keeping a member's ladder stage, audiences and offers current: after each event (with the
facts the rules just saw) and when time alone moves them (the daily pass). Pure."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.rules.domain.audiences import Audience, Grant, Move, Offer, OfferHolding, Placement
from services.rules.domain.ladder import Stage, climb
from services.rules.domain.member import MemberState


class Condition(Protocol):
    def __call__(self, facts: Mapping[str, Any]) -> bool: ...


def place(
    member: MemberState,
    facts: Mapping[str, Any],
    moment: datetime,
    audiences: Sequence[tuple[Audience, Condition]],
    offers: Collection[Offer],
    stages: Sequence[tuple[Stage, Condition]] = (),
) -> Placement:
    """Move the member into the audiences whose condition ``facts`` (theirs, as of
    ``moment``) meet and out of the others; then every live offer of an audience they are in
    becomes theirs, once: treated or control by the offer's hash. An offer stays theirs when
    they leave its audience (it was given), until it ends."""
    placement = Placement()
    if stages:  # first: audiences may name the stage
        # A member's moves keep the order they were made in (an old event placed as of now,
        # then a new one at its own time, a moment earlier): never before the last.
        since = datetime.fromisoformat(member.stage_since) if member.stage_since else moment
        placement.stage = climb(member.member_id, member.stage, facts, max(moment, since), stages)
        if placement.stage is not None:
            member.stage = placement.stage.stage
            member.stage_since = placement.stage.at.isoformat()
            facts = {**facts, "stage": member.stage}
    scope = {"member": facts}
    current = {audience.audience_id for audience, _ in audiences}
    for gone in [a for a in member.audiences if a not in current]:  # disabled since
        del member.audiences[gone]
        placement.moves.append(Move(gone, member.member_id, False, moment))
    for audience, condition in audiences:
        inside = audience.audience_id in member.audiences
        if condition(scope) == inside:
            continue
        if inside:
            del member.audiences[audience.audience_id]
        else:
            member.audiences[audience.audience_id] = moment.isoformat()
        placement.moves.append(Move(audience.audience_id, member.member_id, not inside, moment))
    for offer in offers:
        if (
            offer.offer_id in member.offers
            or offer.audience not in member.audiences
            or not offer.is_live(moment)
        ):
            continue
        group = offer.group_of(member.member_id)
        member.offers[offer.offer_id] = OfferHolding(group=group, since=moment)
        placement.grants.append(Grant(offer, member.member_id, group, moment, member.language))
    return placement
