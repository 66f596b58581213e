"""Drafts and publishing over HTTP (admin scope): a rule's draft is saved, shown beside the
version in force, and published at once or from a time; the audit trail of every change to
the program; the words the data uses, for a form's pickers."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field

from services.rules.adapters.cel_engine import ExpressionError, compile_rule
from services.rules.adapters.orm import audit
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RuleSpec
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import drafts
from services.rules.service_layer.vocabulary import vocabulary
from shared.audit import OBJECT_ID, RULES_KINDS, Change, older_than, read_trail
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped
from shared.contracts.numbers import Moment
from shared.http import problem_responses

router = APIRouter(prefix="/v1", tags=["rules admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
RuleId = Annotated[str, Path(min_length=1, max_length=100)]
NO_DRAFT = problem_responses({404: "no draft"})
FURTHEST = timedelta(days=366)  # how far ahead a version may be scheduled


class Draft(BaseModel):
    rule_id: str
    spec: dict[str, Any]
    base_version: int | None = Field(description="the version in force when it was saved")
    saved_at: str
    saved_by: str
    live: dict[str, Any] | None = Field(description="the version in force now (none: new)")
    live_version: int | None
    scheduled_version: int | None = Field(description="a version waiting for its time")
    scheduled_at: str | None


class Publish(BaseModel):
    effective_at: Moment | None = Field(
        default=None, description="when the version takes effect (none: now)"
    )


class Published(BaseModel):
    rule_id: str
    version: int
    changed: bool = Field(description="false: the draft was the version in force already")
    effective_at: datetime | None


@router.put("/rules/{rule_id}/draft", response_model=Draft)
async def save_draft(
    rule_id: RuleId, spec: Annotated[RuleSpec, Body()], principal: Caller, rules: RulesDep
) -> Draft:
    """Save the rule's draft (not in force); its expressions are compiled first, as for a
    version, so a draft that saves can be published."""
    if spec.id != rule_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    try:
        compile_rule(spec.to_rule(1))
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    return Draft(**await drafts.save_draft(rules.sessions, spec, by=principal.name))


@router.get("/drafts")
async def list_drafts(principal: Caller, rules: RulesDep) -> dict[str, dict[str, str]]:
    """Every rule's unpublished draft: rule id -> when and by whom it was saved."""
    return await drafts.all_drafts(rules.sessions)


@router.get("/scheduled")
async def list_scheduled(principal: Caller, rules: RulesDep) -> dict[str, dict[str, Any]]:
    """Every rule with a version waiting for its time: rule id -> version and when."""
    async with rules.sessions() as session:
        waiting = await ProgramRepository(session).scheduled()
    return {k: {"version": v, "effective_at": at.isoformat()} for k, (v, at) in waiting.items()}


@router.get("/rules/{rule_id}/draft", response_model=Draft, responses=NO_DRAFT)
async def get_draft(rule_id: RuleId, principal: Caller, rules: RulesDep) -> Draft:
    found = await drafts.draft_of(rules.sessions, rule_id)
    if found is None:
        raise HTTPException(404, f"rule {rule_id!r} has no draft")
    return Draft(**found)


@router.delete("/rules/{rule_id}/draft", status_code=204, responses=NO_DRAFT)
async def discard_draft(rule_id: RuleId, principal: Caller, rules: RulesDep) -> Response:
    if not await drafts.discard(rules.sessions, rule_id):
        raise HTTPException(404, f"rule {rule_id!r} has no draft")
    return Response(status_code=204)


@router.post(
    "/rules/{rule_id}/publish",
    response_model=Published,
    responses=problem_responses(
        {404: "no draft", 409: "another version was published since the draft was saved"}
    ),
)
async def publish(
    rule_id: RuleId, body: Annotated[Publish, Body()], principal: Caller, rules: RulesDep
) -> Published:
    """Publish the draft as the rule's next version, now or from ``effective_at`` (the
    version in force stays until then; the rule book takes the new one within seconds of
    that time). The audit trail records who published what."""
    now = datetime.now(UTC)
    when = body.effective_at
    if when is not None and when > now + FURTHEST:
        raise HTTPException(422, "a version can be scheduled up to a year ahead")
    if when is not None and when < now - timedelta(minutes=5):
        raise HTTPException(422, "that time has passed: leave it empty to publish now")
    try:
        version, changed = await drafts.publish(
            rules.sessions, rule_id, by=principal.name, effective_at=when
        )
    except drafts.NoDraft as exc:
        raise HTTPException(404, str(exc)) from exc
    except drafts.DraftOutdated as exc:
        raise HTTPException(409, str(exc)) from exc
    rules.book.invalidate()
    later = when if when is not None and when > now else None
    return Published(rule_id=rule_id, version=version, changed=changed, effective_at=later)


@router.get("/audit", response_model=list[Change])
async def audit_trail(
    principal: Caller,
    rules: RulesDep,
    before: Annotated[datetime | None, Depends(older_than)],
    kind: RULES_KINDS | None = None,
    object_id: Annotated[str | None, Query(pattern=OBJECT_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Change]:
    """Every change to the program kept here (rules published or scheduled, tiers, offers,
    audiences, challenges, partners, the ladder, exchange rates): who, when, the document
    before and after; newest first."""
    async with rules.sessions() as session:
        return await read_trail(
            session,
            audit,
            service="rules",
            kind=kind,
            object_id=object_id,
            before=before,
            limit=limit,
        )


@router.get("/admin/vocabulary")
async def words(principal: Caller, rules: RulesDep) -> dict[str, list[str]]:
    """The categories, tags, brands, channels, activities and event types of the newest
    5,000 events, most used first: what a form offers to pick from."""
    async with rules.sessions() as session:
        return await vocabulary(session)
