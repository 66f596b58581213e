"""Offers over HTTP: saved and versioned (admin), replayed as drafts over recent history,
their lift (reports); and a member's own offers, which they may activate (their token)."""

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.rules.adapters.cel_engine import ExpressionError
from services.rules.adapters.offer_specs import OfferSpec
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RuleSpec
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import offers as handlers
from services.rules.service_layer.replay import replay
from shared.auth import SCOPE_ADMIN, SCOPE_MEMBERS_READ, SCOPE_REPORTS
from shared.callers import Caller, MemberId, require_member_access, scoped
from shared.contracts.envelope import TYPE_HEADER, derived_id, new_event
from shared.contracts.inbound import OFFER_ACTIVATED
from shared.http import problem_responses
from shared.kafka.producer import OutgoingMessage

log = logging.getLogger(__name__)
admin = APIRouter(prefix="/v1", tags=["offers"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
reports = APIRouter(prefix="/v1", tags=["offers"], dependencies=[Depends(scoped(SCOPE_REPORTS))])
members = APIRouter(prefix="/v1", tags=["members"])
OfferId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Days = Annotated[int, Query(ge=1, le=400, description="how many days of history")]


class OfferPublic(BaseModel):
    version: int
    spec: OfferSpec
    members: dict[str, int] = Field(
        default_factory=dict, description="members it reached so far: treated and control"
    )


@admin.get("/offers", response_model=list[OfferPublic])
async def list_offers(principal: Caller, rules: RulesDep) -> list[OfferPublic]:
    """Every offer at its newest version, with how many members it reached, by group."""
    async with rules.sessions() as session:
        found = await ProgramRepository(session).offers_in_force()
        reached = await handlers.reached(session)
    return [OfferPublic(version=v, spec=s, members=reached.get(s.id, {})) for s, v in found]


@admin.get("/offers/{offer_id}")
async def offer(offer_id: OfferId, principal: Caller, rules: RulesDep) -> dict[str, Any]:
    """The offer, its versions, and how many members it reached."""
    async with rules.sessions() as session:
        versions = await ProgramRepository(session).versions("offer", offer_id)
        reached = await handlers.reached(session)
    if not versions:
        raise HTTPException(404, f"no offer {offer_id!r}")
    return {
        "id": offer_id,
        "version": versions[-1]["version"],
        "spec": versions[-1]["spec"],
        "members": reached.get(offer_id, {}),
        "versions": versions,
    }


@admin.put("/offers/{offer_id}", response_model=OfferPublic)
async def save_offer(
    offer_id: OfferId, spec: Annotated[OfferSpec, Body()], principal: Caller, rules: RulesDep
) -> OfferPublic:
    """Create the offer or save its next version (unchanged: the same version). Members of
    its audience get it at their next event or the next refresh."""
    if spec.id != offer_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    try:
        version = await handlers.save_offer(rules.sessions, spec, by=principal.name)
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    except handlers.NotFound as exc:
        raise HTTPException(422, str(exc)) from exc
    rules.book.invalidate()
    return OfferPublic(version=version, spec=spec)


@admin.post("/offers/{offer_id}/replay")
async def replay_offer(
    offer_id: OfferId,
    spec: Annotated[OfferSpec, Body()],
    principal: Caller,
    rules: RulesDep,
    days: Days = 30,
) -> dict[str, Any]:
    """Run a draft of the offer over the last ``days`` of history, writing nothing: what it
    would have cost, whom it would have reached, beside the live version."""
    if spec.id != offer_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    return await _replayed(spec, days, rules)


@admin.post("/rules/{rule_id}/replay")
async def replay_rule(
    rule_id: Annotated[str, Path(min_length=1, max_length=100)],
    spec: Annotated[RuleSpec, Body()],
    principal: Caller,
    rules: RulesDep,
    days: Days = 30,
) -> dict[str, Any]:
    """Run a draft of the rule over the last ``days`` of history, writing nothing: what it
    would have cost, whom it would have reached, the tier moves it would have caused, its
    largest awards; beside the live version."""
    if spec.id != rule_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    return await _replayed(spec, days, rules)


async def _replayed(spec: RuleSpec | OfferSpec, days: int, rules: Any) -> dict[str, Any]:
    try:
        return await replay(
            rules.sessions,
            rules.book,
            spec,
            days=days,
            now=datetime.now(UTC),
            point_value=rules.settings.point_value,
            processes=rules.settings.replay_processes,
        )
    except (ExpressionError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc


@reports.get("/offers/{offer_id}/lift")
async def lift(offer_id: OfferId, principal: Caller, rules: RulesDep) -> dict[str, Any]:
    """Did it work? For the treated and the control group over the offer's window: the share
    who bought, purchases, spend and points per member, and treated minus control with a 95 %
    confidence interval (two-proportion z for the share, Welch's t for the means)."""
    try:
        return await handlers.offer_lift(rules.sessions, rules.book, offer_id)
    except handlers.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@members.get("/members/{member_id}/offers")
async def my_offers(
    member_id: MemberId, principal: Caller, rules: RulesDep
) -> list[dict[str, Any]]:
    """The member's offers now, in their language, with what is left of each (the member's
    own token, or members:read). A member in an offer's control group never sees it."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    return await handlers.member_offers(
        rules.sessions, rules.book, member_id, now=datetime.now(UTC)
    )


@members.post(
    "/members/{member_id}/offers/{offer_id}/activation",
    status_code=202,
    responses=problem_responses({409: "the offer is not the member's to activate"}),
)
async def activate(
    member_id: MemberId, offer_id: OfferId, principal: Caller, rules: RulesDep
) -> dict[str, Any]:
    """Activate ("clip") an offer: it applies from the member's next purchase. Accepted once
    Kafka has the activation (an ``offer.activated`` event, in order with the member's other
    events); activating twice is activating once. 409 if the offer is not theirs to clip."""
    require_member_access(principal, member_id, SCOPE_ADMIN)
    now = datetime.now(UTC)
    try:
        fresh = await handlers.check_activation(
            rules.sessions, rules.book, member_id, offer_id, now=now
        )
    except handlers.NotYours as exc:
        raise HTTPException(409, str(exc)) from exc
    if fresh:
        event = new_event(
            id=derived_id(member_id, "activation", offer_id),
            source="pointstream/wallet",
            type=OFFER_ACTIVATED,
            subject=member_id,
            data={"offer_id": offer_id},
            time=now,
        )
        await rules.parts.producer.send(
            [
                OutgoingMessage(
                    topic=rules.parts.kafka.topics.events,
                    key=member_id.encode(),
                    value=event.to_bytes(),
                    headers=((TYPE_HEADER, event.type.encode()),),
                )
            ],
            ack_within=rules.settings.ingest_ack_timeout_seconds,
        )
    return {"offer_id": offer_id, "activated": True}
