"""Operations over HTTP (admin scope), for the console: the dead letters of every service (the
topic is shared) and replaying one consumer group's after a fix, as `pointstream
replay-dead-letters` does."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.rules.entrypoints.context import RulesDep
from shared.auth import SCOPE_ADMIN
from shared.callers import scoped
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
    """Send the group's dead letters back to their topics, once each."""
    return {"replayed": await replay_dead_letters(rules.parts.kafka, group_id=group)}
