"""Rules administration (admin scope): simulating an event, and the program report. (The
program itself, rules, tiers and packs: :mod:`services.rules.program.http`.)"""

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from services.rules.domain.returns import InvalidReturn
from services.rules.entrypoints.consumer import to_command
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer.handlers import simulate_event
from services.rules.service_layer.unit_of_work import UnitOfWork
from services.rules.service_layer.views import cost, program_figures
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError, parse_inbound

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["rules admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])


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
    custom_attributes: dict[str, Any] = Field(
        description="what the sender added beside the known fields, as conditions read it: "
        "data.<name> for the event, line.attributes.<name> for each line"
    )


@router.post("/simulate", response_model=Simulation)
async def simulate(event: CloudEvent, principal: Caller, rules: RulesDep) -> Simulation:
    """What this event would earn its member now, and why. Nothing is written."""
    uow: UnitOfWork = rules.uow()
    try:
        command = to_command(event)
        decision = await simulate_event(command, uow=uow, book=rules.book)
    except (PayloadError, InvalidReturn) as exc:
        raise HTTPException(422, str(exc)) from exc
    custom: dict[str, Any] = {"data": parse_inbound(event).model_extra or {}}
    if command.event.purchase is not None:
        custom["lines"] = [dict(ln.attributes) for ln in command.event.purchase.lines]
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
        custom_attributes=custom,
    )


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
