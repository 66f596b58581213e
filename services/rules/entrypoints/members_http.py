"""A member's standing in the program (the member's own token, or members:read): their tier,
the points that count towards tiers over the last 12 months, and what the next tier takes."""

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.rules.adapters.orm import (
    activities,
    audience_members,
    audience_moves,
    history,
    member_states,
    offer_assignments,
    processed_events,
    purchases,
)
from services.rules.entrypoints.context import RulesDep
from shared.auth import SCOPE_ADMIN, SCOPE_MEMBERS_READ
from shared.callers import Caller, MemberId, require_member_access
from shared.erasure.model import MemberWasErased
from shared.export import member_export

router = APIRouter(prefix="/v1", tags=["members"])


class Standing(BaseModel):
    member_id: str
    tier: str
    qualifying_points: int  # earned over the last 12 months
    next_tier: str | None
    points_to_next_tier: int | None
    tier_names: dict[str, str] = Field(default_factory=dict, description="per language")
    next_tier_names: dict[str, str] = Field(default_factory=dict)


@router.get("/members/{member_id}/tier", response_model=Standing)
async def standing(member_id: MemberId, principal: Caller, rules: RulesDep) -> Standing:
    """The member's tier, the points earned in the last 12 months, and what the next tier takes."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    book = await rules.book.refreshed()
    async with rules.uow() as uow:
        erased = await uow.members.erased([member_id])
        if erased:
            raise MemberWasErased(member_id, erased[member_id])
        member = await uow.members.member(member_id)
    qualifying = member.qualifying_points_12m(datetime.now(UTC))
    above = sorted((t for t in book.tiers if t.min_points > qualifying), key=lambda t: t.min_points)
    current = {t.name: t.min_points for t in book.tiers}.get(member.tier, 0)
    nxt = next((t for t in above if t.min_points > current), None)
    names = {t.name: dict(t.names) for t in book.tiers}
    return Standing(
        member_id=member_id,
        tier=member.tier,
        qualifying_points=qualifying,
        next_tier=nxt.name if nxt else None,
        points_to_next_tier=nxt.min_points - qualifying if nxt else None,
        tier_names=names.get(member.tier, {}),
        next_tier_names=names.get(nxt.name, {}) if nxt else {},
    )


@router.get("/members/{member_id}/export")
async def export_member(member_id: MemberId, principal: Caller, rules: RulesDep) -> Response:
    """Everything the rules hold about the member, as one JSON document streamed as it is
    read (right of access and portability): their state (tier, counts, birthday, language,
    audiences, offers), their purchases as the rules recorded them, the events of theirs
    processed and kept for replays, their audience moves and offer groups. An admin
    key, or the member's own token."""
    require_member_access(principal, member_id, SCOPE_ADMIN)
    return member_export(
        rules.sessions,
        "rules",
        member_id,
        (
            ("state", member_states, ()),
            ("purchases", purchases, (purchases.c.occurred_at,)),
            ("activities", activities, (activities.c.occurred_at,)),
            ("processed_events", processed_events, (processed_events.c.processed_at,)),
            ("audiences", audience_members, (audience_members.c.audience_id,)),
            ("audience_moves", audience_moves, (audience_moves.c.at,)),
            ("offers", offer_assignments, (offer_assignments.c.offer_id,)),
            ("history", history, (history.c.occurred_at,)),
        ),
    )
