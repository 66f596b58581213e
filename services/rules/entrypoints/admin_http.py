"""Rules administration (admin scope): rules with versions, packs as YAML, and simulation."""

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel

from services.rules.adapters.cel_engine import ExpressionError, compile_rule
from services.rules.adapters.program import ProgramRepository
from services.rules.adapters.rule_specs import RuleSpec, TierSpec
from services.rules.domain.returns import InvalidReturn
from services.rules.entrypoints.consumer import to_command
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import pack
from services.rules.service_layer.handlers import simulate_event
from services.rules.service_layer.unit_of_work import UnitOfWork
from services.rules.service_layer.views import cost, program_figures
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["rules admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
RuleId = Annotated[str, Path(min_length=1, max_length=100)]


class RulePublic(BaseModel):
    version: int
    spec: RuleSpec


class SimulatedAward(BaseModel):
    rule_id: str
    rule_version: int
    driver: str
    points: int
    explanation: str
    pending_until: str | None
    funded_by: str | None


class Simulation(BaseModel):
    member_id: str
    points: int
    awards: list[SimulatedAward]
    revoked_points: int
    member: dict[str, Any]


@router.get("/rules", response_model=list[RulePublic])
async def list_rules(principal: Caller, rules: RulesDep) -> list[RulePublic]:
    async with rules.sessions() as session:
        return [
            RulePublic(version=v, spec=s)
            for s, v in await ProgramRepository(session).rules_in_force()
        ]


@router.get("/rules/{rule_id}/versions")
async def rule_versions(
    rule_id: RuleId, principal: Caller, rules: RulesDep
) -> list[dict[str, Any]]:
    async with rules.sessions() as session:
        history = await ProgramRepository(session).rule_history(rule_id)
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
    async with rules.sessions() as session, session.begin():
        version = await ProgramRepository(session).save_rule(spec, by=principal.name)
    rules.book.invalidate()
    return RulePublic(version=version, spec=spec)


@router.get("/rules.yaml", response_class=Response)
async def export_rules(principal: Caller, rules: RulesDep) -> Response:
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
    async with rules.sessions() as session, session.begin():
        saved = await pack.import_pack(session, parsed, by=principal.name)
    rules.book.invalidate()
    return {"saved": saved}


@router.post("/simulate", response_model=Simulation)
async def simulate(event: CloudEvent, principal: Caller, rules: RulesDep) -> Simulation:
    """What this event would earn its member now, and why. Nothing is written."""
    uow: UnitOfWork = rules.uow()
    try:
        decision = await simulate_event(to_command(event), uow=uow, book=rules.book)
    except (PayloadError, InvalidReturn) as exc:
        raise HTTPException(422, str(exc)) from exc
    awards = [
        SimulatedAward(
            rule_id=a.rule_id,
            rule_version=a.rule_version,
            driver=a.driver,
            points=a.points,
            explanation=a.explanation,
            funded_by=a.funded_by,
            pending_until=a.pending_until.isoformat() if a.pending_until else None,
        )
        for a in decision.awards
    ]
    return Simulation(
        member_id=event.subject,
        points=sum(a.points for a in awards),
        awards=awards,
        revoked_points=sum(r.points for r in decision.revocations),
        member=decision.member.facts(event.time),
    )


@router.get("/tiers", response_model=list[TierSpec])
async def list_tiers(principal: Caller, rules: RulesDep) -> list[TierSpec]:
    async with rules.sessions() as session:
        return await ProgramRepository(session).load_tiers()


@router.put("/tiers", response_model=list[TierSpec])
async def replace_tiers(
    tiers: Annotated[list[TierSpec], Body(min_length=1)],
    principal: Caller,
    rules: RulesDep,
) -> list[TierSpec]:
    """Replace the tiers. Members move up at once; down only at their anniversary."""
    if len({t.name for t in tiers}) != len(tiers):
        raise HTTPException(422, "tier names must be unique")
    async with rules.sessions() as session, session.begin():
        await ProgramRepository(session).save_tiers(tiers)
        saved = await ProgramRepository(session).load_tiers()
    rules.book.invalidate()
    return saved


@router.get("/report")
async def report(
    principal: Caller,
    rules: RulesDep,
    days: Annotated[
        int, Query(ge=1, le=3660, description="the period: this many UTC days, today included")
    ] = 30,
) -> dict[str, Any]:
    """The program report: members, purchases, points and their cost by driver, rule and
    campaign; with ``RULES_LEDGER_URL`` set, also the ledger's liability and breakage."""
    settings = rules.settings
    end = datetime.now(UTC)
    start = datetime.combine(end.date() - timedelta(days=days - 1), time.min, tzinfo=UTC)
    async with rules.sessions() as session:
        figures = await program_figures(
            session,
            start=start,
            end=end,
            currency=settings.currency,
            point_value=settings.point_value,
        )
    if settings.ledger_url is None:
        figures["ledger_error"] = "RULES_LEDGER_URL is not set"
        return figures
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(
                f"{settings.ledger_url.rstrip('/')}/v1/admin/report",
                headers={"X-API-Key": settings.ledger_api_key or ""},
            )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("the ledger's report figures are unavailable", extra={"error": repr(exc)})
        figures["ledger_error"] = f"the ledger did not answer: {exc.__class__.__name__}"
        return figures
    ledger = answer.json()
    ledger["liability_value"] = cost(ledger["outstanding"], settings.point_value)
    figures["ledger"] = ledger
    return figures
