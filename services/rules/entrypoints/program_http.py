"""The program over HTTP (admin scope): rules with their versions, the tiers, and the whole
program as a YAML pack. Every expression is compiled before it is saved."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel

from services.rules.adapters.cel_engine import ExpressionError, compile_rule
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import pack
from services.rules.service_layer import program as handlers
from services.rules.service_layer import program_views as views
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped

router = APIRouter(prefix="/v1", tags=["rules admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
RuleId = Annotated[str, Path(min_length=1, max_length=100)]


class RulePublic(BaseModel):
    version: int
    spec: RuleSpec
    budget_spent: int | None = None  # points a budgeted rule has awarded so far
    scheduled_version: int | None = None  # a later version waiting for its time
    scheduled_at: str | None = None
    draft_saved_at: str | None = None  # an unpublished draft, when and by whom saved
    draft_saved_by: str | None = None


@router.get("/rules", response_model=list[RulePublic])
async def list_rules(principal: Caller, rules: RulesDep) -> list[RulePublic]:
    """The rules in force, each at its newest version in effect, with a version scheduled
    for later and an unpublished draft where there is one."""
    async with rules.sessions() as session:
        spent = await views.budgets_spent(session)
        later, drafted = await views.scheduled_and_drafts(session)
        return [
            RulePublic(
                version=v,
                spec=s,
                budget_spent=spent.get(s.id, 0) if s.caps.budget else None,
                scheduled_version=later[s.id][0] if s.id in later else None,
                scheduled_at=later[s.id][1].isoformat() if s.id in later else None,
                draft_saved_at=drafted.get(s.id, {}).get("saved_at"),
                draft_saved_by=drafted.get(s.id, {}).get("saved_by"),
            )
            for s, v in await views.rules_in_force(session)
        ]


@router.get("/rules/{rule_id}/versions")
async def rule_versions(
    rule_id: RuleId, principal: Caller, rules: RulesDep
) -> list[dict[str, Any]]:
    """Every version of a rule, oldest first, with who saved it and when."""
    async with rules.sessions() as session:
        history = await views.rule_history(session, rule_id)
    if not history:
        raise HTTPException(404, f"no rule {rule_id!r}")
    return history


@router.put("/rules/{rule_id}", response_model=RulePublic)
async def save_rule(
    rule_id: RuleId,
    spec: Annotated[RuleSpec, Body()],
    principal: Caller,
    rules: RulesDep,
) -> RulePublic:
    """Create the rule or save a new version of it; expressions are compiled first and an
    error in one is a 422 naming its position. ``enabled: false`` deactivates it."""
    if spec.id != rule_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    try:
        compile_rule(spec.to_rule(1))
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    version = await handlers.save_rule(rules.sessions, spec, by=principal.name)
    rules.book.invalidate()
    return RulePublic(version=version, spec=spec)


class CheckedRule(BaseModel):
    ok: bool
    error: str | None = None
    field: str | None = None  # which expression: condition, effect.lines ...
    line: int | None = None
    column: int | None = None


@router.post("/rules/{rule_id}/check", response_model=CheckedRule)
async def check_rule(
    rule_id: RuleId, spec: Annotated[RuleSpec, Body()], principal: Caller
) -> CheckedRule:
    """Compile the rule's expressions without saving anything: an editor shows an error at
    its line and column before the manager saves."""
    try:
        compile_rule(spec.to_rule(1))
    except ExpressionError as exc:
        message = str(exc)
        place = re.search(r"<input>:(\d+):(\d+)", message)
        named = re.match(r"rule \S+ ([\w.]+)", message)
        return CheckedRule(
            ok=False,
            error=message,
            field=named.group(1) if named else None,
            line=int(place.group(1)) if place else None,
            column=int(place.group(2)) if place else None,
        )
    return CheckedRule(ok=True)


@router.get("/rules.yaml", response_class=Response)
async def export_rules(principal: Caller, rules: RulesDep) -> Response:
    """The program (tiers and the newest version of every rule) as one YAML pack."""
    async with rules.sessions() as session:
        return Response(await pack.export_pack(session), media_type="application/yaml")


@router.put("/rules.yaml")
async def import_rules(
    request: Request, principal: Caller, rules: RulesDep
) -> dict[str, list[str]]:
    """Import a whole pack (tiers and rules); changed rules get a new version."""
    try:
        parsed = pack.parse_pack((await request.body()).decode())
    except (pack.InvalidPack, ExpressionError, UnicodeDecodeError) as exc:
        raise HTTPException(422, str(exc)) from exc
    saved = await handlers.import_whole_pack(rules.sessions, parsed, by=principal.name)
    rules.book.invalidate()
    return {"saved": saved}


@router.get("/tiers", response_model=list[TierSpec])
async def list_tiers(principal: Caller, rules: RulesDep) -> list[TierSpec]:
    """The tiers, lowest first, with the points (earned over 12 months) each takes."""
    async with rules.sessions() as session:
        return await views.tiers(session)


@router.put("/tiers", response_model=list[TierSpec])
async def replace_tiers(
    tiers: Annotated[list[TierSpec], Body(min_length=1)],
    principal: Caller,
    rules: RulesDep,
) -> list[TierSpec]:
    """Replace the tiers. Members move up at once; down only at their anniversary."""
    if len({t.name for t in tiers}) != len(tiers):
        raise HTTPException(422, "tier names must be unique")
    saved = await handlers.replace_tiers(rules.sessions, tiers, by=principal.name)
    rules.book.invalidate()
    return saved
