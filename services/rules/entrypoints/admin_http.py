"""Rules administration (admin scope): simulating an event; and the program report
(reports:read, which admin keys have too). (The program itself, rules, tiers and packs:
:mod:`services.rules.entrypoints.program_http`.)"""

import logging
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from services.rules.adapters.cel_engine import ExpressionError
from services.rules.adapters.messages import evaluation
from services.rules.adapters.rule_specs import RuleSpec
from services.rules.domain.explanations import explain, explanation_language
from services.rules.domain.model import Award
from services.rules.domain.returns import InvalidReturn
from services.rules.entrypoints.context import RulesContext, RulesDep
from services.rules.service_layer.handlers import simulate_with_reasons
from services.rules.service_layer.measures import program_series
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from services.rules.service_layer.views import cost, program_figures
from services.rules.settings import RulesSettings
from shared.auth import SCOPE_ADMIN, SCOPE_REPORTS
from shared.callers import Caller, scoped
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError, parse_inbound
from shared.periods import BucketQuery, Days, period

log = logging.getLogger(__name__)
EXPLAINED_IN = ("en", "da", "sv")  # the program's languages, as members read them
router = APIRouter(prefix="/v1", tags=["rules admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
# The program's figures: reports:read (an admin key has it too), for a dashboard or a BI tool.
reports = APIRouter(prefix="/v1", tags=["reports"], dependencies=[Depends(scoped(SCOPE_REPORTS))])


class SimulatedAward(BaseModel):
    rule_id: str
    rule_version: int
    driver: str
    points: int
    explanation: str
    explanations: dict[str, str] = Field(
        default_factory=dict,
        description="what a member reading each language (en, da, sv) would read: English "
        "where a rule that fired has no text in theirs, so a message is never two languages",
    )
    pending_until: str | None
    funded_by: str | None


class NotFired(BaseModel):
    rule_id: str
    reason: str


class Simulation(BaseModel):
    member_id: str
    points: int
    awards: list[SimulatedAward]
    revoked_points: int
    member: dict[str, Any]
    not_fired: list["NotFired"] = Field(
        default_factory=list, description="each rule that gave nothing, and why not"
    )
    custom_attributes: dict[str, Any] = Field(
        description="what the sender added beside the known fields, as conditions read it: "
        "data.<name> for the event, line.attributes.<name> for each line"
    )


@router.get("/me")
async def me(principal: Caller) -> dict[str, Any]:
    """Who the key is: its name and scopes (the console signs a manager in with it)."""
    return {"name": principal.name, "scopes": sorted(principal.scopes)}


@router.post("/simulate", response_model=Simulation)
async def simulate(event: CloudEvent, principal: Caller, rules: RulesDep) -> Simulation:
    """What this event would earn its member now, and why. Nothing is written."""
    return await _simulation(event, rules, await rules.book.refreshed())


class DraftSimulation(BaseModel):
    spec: RuleSpec
    event: CloudEvent


@router.post("/rules/{rule_id}/simulate", response_model=Simulation)
async def simulate_draft(
    rule_id: Annotated[str, Path(min_length=1, max_length=100)],
    body: DraftSimulation,
    principal: Caller,
    rules: RulesDep,
) -> Simulation:
    """What the event would earn with ``spec`` in place of the rule (not saved): the editor's
    simulator, before the manager saves. Nothing is written."""
    if body.spec.id != rule_id:
        raise HTTPException(422, f"the spec's id {body.spec.id!r} differs from the path's")
    try:
        book = (await rules.book.refreshed()).with_draft(body.spec)
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    return await _simulation(body.event, rules, book)


async def _simulation(event: CloudEvent, rules: RulesContext, book: RuleBook) -> Simulation:
    uow: UnitOfWork = rules.uow()
    try:
        command = evaluation(event)
        decision, not_fired = await simulate_with_reasons(command, uow=uow, book=book)
    except (PayloadError, InvalidReturn) as exc:
        raise HTTPException(422, str(exc)) from exc
    custom: dict[str, Any] = {"data": parse_inbound(event).model_extra or {}}
    if command.event.purchase is not None:
        custom["lines"] = [dict(ln.attributes) for ln in command.event.purchase.lines]
    rules_by_id = {c.rule.rule_id: c.rule for c in book.rules}
    fired = [rules_by_id[a.rule_id] for a in decision.awards if a.rule_id in rules_by_id]
    currency = rules.settings.currency if command.event.purchase else ""  # counted in it

    def in_each_language(award: Award) -> dict[str, str]:
        rule = rules_by_id.get(award.rule_id)
        if rule is None:
            return {}
        return {
            language: explain(
                rule,
                explanation_language(fired, language),
                currency=currency,
                **award.explained(),
            )
            for language in EXPLAINED_IN
        }

    awards = [
        SimulatedAward(
            rule_id=a.rule_id,
            rule_version=a.rule_version,
            driver=a.driver,
            points=a.points,
            explanation=a.explanation,
            explanations=in_each_language(a),
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
        custom_attributes=custom,
        not_fired=[NotFired(rule_id=r, reason=why) for r, why in not_fired],
    )


@reports.get("/report")
async def report(
    principal: Caller,
    rules: RulesDep,
    days: Days = 30,
) -> dict[str, Any]:
    """The program report: members, purchases, points and their cost by driver, rule and
    campaign; with ``RULES_LEDGER_URL`` set, also the ledger's liability and breakage."""
    settings = rules.settings
    start, end = period(days)
    async with rules.sessions() as session:
        figures = await program_figures(
            session,
            start=start,
            end=end,
            currency=settings.currency,
            point_value=settings.point_value,
        )
    ledger, error = await _from_ledger(settings, "/v1/admin/report", days)
    if ledger is None:
        figures["ledger_error"] = error
        return figures
    ledger["liability_value"] = cost(ledger["outstanding"], settings.point_value)
    figures["ledger"] = ledger
    return figures


async def _from_ledger(
    settings: RulesSettings, path: str, days: int, bucket: str | None = None
) -> tuple[dict[str, Any] | None, str]:
    """The ledger's side of a report, or None and why not."""
    if settings.ledger_url is None:
        return None, "RULES_LEDGER_URL is not set"
    params: dict[str, Any] = {"days": days, **({"bucket": bucket} if bucket else {})}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(
                f"{settings.ledger_url.rstrip('/')}{path}",
                params=params,
                headers={"X-API-Key": settings.ledger_api_key or ""},
            )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("the ledger's report figures are unavailable", extra={"error": repr(exc)})
        return None, f"the ledger did not answer: {exc.__class__.__name__}"
    found: dict[str, Any] = answer.json()
    return found, ""


@reports.get("/report/series")
async def report_series(
    principal: Caller,
    rules: RulesDep,
    days: Days = 30,
    bucket: BucketQuery = "day",
) -> dict[str, Any]:
    """The program over time, for charts: per day or week, purchases, revenue, new and
    returning buyers (and the returning share), points awarded by driver; with
    ``RULES_LEDGER_URL`` set, also points redeemed and expired."""
    settings = rules.settings
    start, end = period(days)
    async with rules.sessions() as session:
        series = await program_series(
            session, start=start, end=end, currency=settings.currency, bucket=bucket
        )
    answer: dict[str, Any] = {"bucket": bucket, "currency": settings.currency, "series": series}
    ledger, error = await _from_ledger(settings, "/v1/admin/report/series", days, bucket)
    if ledger is None:
        answer["ledger_error"] = error
        return answer
    by_start = {point["from"]: point for point in ledger["series"]}
    for point in series:
        found = by_start.get(point["from"], {})
        point["redeemed_points"] = found.get("redeemed_points", 0)
        point["expired_points"] = found.get("expired_points", 0)
    return answer
