"""Operations over HTTP (admin scope), for the console: the dead letters of every service (the
topic is shared) and replaying one consumer group's after a fix, as `pointstream
replay-dead-letters` does; and the newest events as they arrived, to pick one to simulate."""

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.rules.entrypoints.context import RulesDep
from shared.auth import SCOPE_ADMIN
from shared.callers import scoped
from shared.contracts.envelope import MEMBER_ID_MAX, MEMBER_ID_PATTERN
from shared.kafka.newest import recent_events
from shared.kafka.replay import read_dead_letters, replay_dead_letters

router = APIRouter(
    prefix="/v1/admin", tags=["operations"], dependencies=[Depends(scoped(SCOPE_ADMIN))]
)


@router.get("/dead-letters")
async def dead_letters(
    rules: RulesDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """The newest dead letters: from which topic, refused by which consumer group, why, when."""
    return {"letters": await read_dead_letters(rules.parts.kafka, limit=limit)}


@router.post("/dead-letters/replay")
async def replay(
    rules: RulesDep,
    group: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._-]+$")],
) -> dict[str, int]:
    """Send the group's dead letters back to their topics, once each; an erased member's
    are skipped."""

    async def erased(members: Collection[str]) -> Collection[str]:
        return (await rules.erased.erased(members)).keys()

    return {"replayed": await replay_dead_letters(rules.parts.kafka, group_id=group, erased=erased)}


@router.get("/recent-events")
async def newest_events(
    rules: RulesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    member: Annotated[
        str | None, Query(min_length=1, max_length=MEMBER_ID_MAX, pattern=MEMBER_ID_PATTERN)
    ] = None,
    event_type: Annotated[str | None, Query(alias="type", min_length=1, max_length=200)] = None,
) -> dict[str, Any]:
    """The newest events on the inbound topic, as the senders sent them (CloudEvents), newest
    first; only a member's or one type's when asked (among each partition's last 1,000). An
    erased member's events, still on the topic until its retention removes them, are not
    shown."""
    found = await recent_events(
        rules.parts.kafka, limit=limit, member=member, event_type=event_type
    )
    erased = await rules.erased.erased({event["subject"] for event in found})
    return {"events": [event for event in found if event["subject"] not in erased]}
