"""The right to erasure (admin scope): ``POST /v1/members/{id}/erasure`` sends the request as
an event on ``loyalty.events.v1``, keyed by the member like their other events, so every
service acts on it once and in order; ``GET`` says whether this service has forgotten them."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.rules.adapters.orm import erased_members
from services.rules.entrypoints.context import RulesDep
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, MemberId, scoped
from shared.contracts.envelope import TYPE_HEADER, derived_id, new_event
from shared.contracts.erasure import ERASURE_REQUESTED, ErasureRequested
from shared.erasure.model import ErasureStatus
from shared.erasure.table import erasure_status
from shared.kafka.producer import OutgoingMessage

router = APIRouter(prefix="/v1", tags=["members"], dependencies=[Depends(scoped(SCOPE_ADMIN))])


class ErasureAccepted(BaseModel):
    member_id: str
    erasure_event_id: str
    status: str  # "requested", or "erased" when it was done before


@router.post(
    "/members/{member_id}/erasure",
    status_code=202,
    response_model=ErasureAccepted,
    responses={200: {"model": ErasureAccepted, "description": "erased before: nothing sent"}},
)
async def request_erasure(member_id: MemberId, principal: Caller, rules: RulesDep) -> Any:
    """Forget the member in every service: 202 once Kafka has the request (each service
    then deletes what it holds, or keeps its books under an opaque key); ``GET`` on the
    same path of each service says when it is done. A repeat changes nothing."""
    event_id = derived_id(member_id, "erasure")
    done = await erasure_status(rules.sessions, erased_members, "rules", member_id)
    if done.erased:
        answer = ErasureAccepted(member_id=member_id, erasure_event_id=event_id, status="erased")
        return JSONResponse(answer.model_dump(), status_code=200)
    payload = ErasureRequested(requested_by=principal.name)
    now = datetime.now(UTC)
    event = new_event(
        id=event_id,
        source="pointstream/admin",
        type=ERASURE_REQUESTED,
        subject=member_id,
        data=payload.model_dump(mode="json"),
        time=now,
    )
    await rules.parts.producer.send(
        [
            OutgoingMessage(
                topic=rules.parts.kafka.topics.events,
                key=member_id.encode(),
                value=event.to_bytes(),
                headers=((TYPE_HEADER, ERASURE_REQUESTED.encode()),),
            )
        ],
        ack_within=rules.settings.ingest_ack_timeout_seconds,
    )
    rules.erased.add(member_id, now)  # this replica's ingest refuses them from now on
    return ErasureAccepted(member_id=member_id, erasure_event_id=event_id, status="requested")


@router.get("/members/{member_id}/erasure", response_model=ErasureStatus)
async def erasure_done(member_id: MemberId, rules: RulesDep) -> ErasureStatus:
    """Whether the rules have forgotten the member, and when."""
    return await erasure_status(rules.sessions, erased_members, "rules", member_id)
