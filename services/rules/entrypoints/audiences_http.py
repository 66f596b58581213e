"""Audiences over HTTP (admin scope): named groups of members by a condition over their
facts, with their versions, a live count and sample while the condition is written, the
members as CSV (ids only; who exported is logged), and a refresh on demand."""

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.rules.adapters.audiences_repository import AudiencesRepository
from services.rules.adapters.cel_engine import ExpressionError, compile_audience
from services.rules.adapters.offer_specs import AudienceSpec
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.domain.audiences import Audience
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import audiences as passes
from services.rules.service_layer import offers as handlers
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["audiences"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
AudienceId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


class AudiencePublic(BaseModel):
    version: int
    spec: AudienceSpec
    members: int = Field(description="members in it now (as of the last event or refresh)")


@router.get("/audiences", response_model=list[AudiencePublic])
async def list_audiences(principal: Caller, rules: RulesDep) -> list[AudiencePublic]:
    """Every audience at its newest version (disabled ones too), with how many are in it."""
    async with rules.sessions() as session:
        counts = await AudiencesRepository(session).counts()
        found = await ProgramRepository(session).audiences_in_force()
    return [
        AudiencePublic(version=v, spec=s, members=counts.get(s.id, 0) if s.enabled else 0)
        for s, v in found
    ]


@router.get("/audiences/{audience_id}")
async def audience(
    audience_id: AudienceId,
    principal: Caller,
    rules: RulesDep,
    sample: Annotated[int, Query(ge=0, le=100)] = 10,
) -> dict[str, Any]:
    """The audience, its versions, how many are in it, the newest of them, and how many
    entered and left over the last 7 and 30 days."""
    now = datetime.now(UTC)
    async with rules.sessions() as session:
        versions = await ProgramRepository(session).versions("audience", audience_id)
        if not versions:
            raise HTTPException(404, f"no audience {audience_id!r}")
        repo = AudiencesRepository(session)
        counts = await repo.counts()
        members = await repo.sample(audience_id, sample)
        moves = {
            f"last_{days}_days": await repo.moves_between(
                audience_id, now - timedelta(days=days), now
            )
            for days in (7, 30)
        }
    return {
        "id": audience_id,
        "version": versions[-1]["version"],
        "spec": versions[-1]["spec"],
        "members": counts.get(audience_id, 0),
        "sample": members,
        "moves": moves,
        "versions": versions,
    }


@router.put("/audiences/{audience_id}", response_model=AudiencePublic)
async def save_audience(
    audience_id: AudienceId,
    spec: Annotated[AudienceSpec, Body()],
    principal: Caller,
    rules: RulesDep,
) -> AudiencePublic:
    """Create the audience or save its next version (unchanged: the same version). Members
    move in and out with their next event, and all at the next refresh
    (``POST /v1/audiences/refresh`` runs it now)."""
    if spec.id != audience_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    try:
        version = await handlers.save_audience(rules.sessions, spec, by=principal.name)
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    rules.book.invalidate()
    async with rules.sessions() as session:
        counts = await AudiencesRepository(session).counts()
    return AudiencePublic(version=version, spec=spec, members=counts.get(spec.id, 0))


class ConditionCheck(BaseModel):
    condition: str = Field(min_length=1, max_length=2000)
    sample: int = Field(default=10, ge=0, le=100, strict=True)


class Preview(BaseModel):
    ok: bool
    error: str | None = None
    line: int | None = None
    column: int | None = None
    count: int | None = Field(default=None, description="members who meet it now")
    members: int | None = Field(default=None, description="members in the program")
    sample: list[str] = Field(default_factory=list)


@router.post("/audiences/preview", response_model=Preview)
async def preview(body: ConditionCheck, principal: Caller, rules: RulesDep) -> Preview:
    """Check a condition as it is typed: its error at line and column, or how many members
    meet it now and a few of them. Nothing is saved."""
    try:
        condition = compile_audience(Audience("preview", 1, "preview", body.condition))
    except ExpressionError as exc:
        place = re.search(r"<input>:(\d+):(\d+)", str(exc))
        return Preview(
            ok=False,
            error=str(exc).removeprefix("audience preview condition: "),
            line=int(place.group(1)) if place else None,
            column=int(place.group(2)) if place else None,
        )
    book = await rules.book.refreshed()
    try:
        found = await passes.preview(
            rules.sessions, condition, book, now=datetime.now(UTC), sample=body.sample
        )
    except ExpressionError as exc:  # compiles, but fails on real facts (a wrong type)
        return Preview(ok=False, error=str(exc).removeprefix("audience preview condition: "))
    return Preview(ok=True, **found)


@router.get(
    "/audiences/{audience_id}/members.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "member_id, one per line"}},
)
async def export_members(
    audience_id: AudienceId, principal: Caller, rules: RulesDep
) -> StreamingResponse:
    """The ids of the audience's members, one per line (no other personal data). Each export
    is logged with who asked."""

    async def rows() -> Any:
        yield "member_id\n"
        count = 0
        async with rules.sessions() as session:
            async for member_id in AudiencesRepository(session).member_ids(audience_id):
                count += 1
                yield f"{member_id}\n"
        log.info(
            "audience exported",
            extra={"audience": audience_id, "by": principal.name, "members": count},
        )

    filename = f"audience-{audience_id}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/audiences/refresh")
async def refresh(principal: Caller, rules: RulesDep) -> dict[str, int]:
    """Re-rank RFM and move every member whom time moved, now (the daily pass)."""
    moved = await passes.refresh_audiences(rules.sessions, rules.uow, rules.book, force=True)
    if rules.parts.relay is not None:
        rules.parts.relay.wake()
    return {"moved": moved}
