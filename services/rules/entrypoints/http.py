"""Ingest API: for systems that cannot speak Kafka. Answers once Kafka acknowledged the write."""

import contextlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.entrypoints.context import RulesContext, RulesDep
from services.rules.service_layer import views
from shared import tracing
from shared.auth import SCOPE_INGEST
from shared.callers import Caller, require_scope
from shared.contracts.envelope import TYPE_HEADER, CloudEvent
from shared.contracts.inbound import PayloadError, parse_inbound
from shared.contracts.json import JsonDecodeError, loads_exact
from shared.http import problem
from shared.kafka.producer import OutgoingMessage

router = APIRouter(prefix="/v1", tags=["ingest"])
MAX_BODY_BYTES = 5 * 1024 * 1024

_BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/CloudEvent"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/CloudEvent"}},
                    ]
                }
            }
        },
    },
}


class IngestAccepted(BaseModel):
    accepted: int
    ids: list[str]


@router.post("/events", status_code=202, response_model=IngestAccepted, openapi_extra=_BODY_SCHEMA)
async def ingest_events(request: Request, principal: Caller, rules: RulesDep) -> Any:
    """Take one CloudEvent or a batch (all or nothing) and write it to ``loyalty.events.v1``."""
    require_scope(principal, SCOPE_INGEST)
    trace = [(k, request.headers[k]) for k in ("traceparent", "tracestate") if k in request.headers]
    return await accept_events(await request.body(), trace=trace, context=rules)


async def accept_events(
    body: bytes,
    *,
    trace: list[tuple[str, str]],
    context: RulesContext,
) -> Response:
    """The ingest itself, for the route and its fast path: 202 once Kafka acknowledged every
    event, else a problem document saying what to fix."""
    parts, sessions, settings = context.parts, context.sessions, context.settings
    if len(body) > MAX_BODY_BYTES:
        return problem(413, "Payload too large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    try:
        document = loads_exact(body)
    except JsonDecodeError as exc:
        return problem(400, "Bad request", str(exc))
    items = document if isinstance(document, list) else [document]
    if not 1 <= len(items) <= settings.max_batch_events:
        return problem(
            422,
            "Invalid request",
            f"send 1 to {settings.max_batch_events} events, not {len(items)}",
        )
    events, errors = _validate(items)
    if not errors:
        errors = await _unknown_returns(events, sessions)
    if errors:
        return problem(
            422, "Invalid event", "no event was accepted: fix these and resend", errors=errors
        )
    topic = parts.kafka.topics.events
    # A till or web shop may send its own trace context (W3C traceparent): the events continue it.
    with (
        tracing.tracer.start_as_current_span(
            "POST /v1/events",
            context=tracing.context_from((k, v.encode("latin-1")) for k, v in trace),
            kind=SpanKind.SERVER,
            attributes={"pointstream.events": len(events)},
        )
        if tracing.enabled()
        else contextlib.nullcontext()
    ):
        headers = tracing.current_headers()
        await parts.producer.send(
            [
                OutgoingMessage(
                    topic=topic,
                    key=e.subject.encode(),
                    value=e.to_bytes(),
                    headers=(*headers, (TYPE_HEADER, e.type.encode())),
                )
                for e in events
            ],
            ack_within=settings.ingest_ack_timeout_seconds,
        )
    return JSONResponse(
        IngestAccepted(accepted=len(events), ids=[e.id for e in events]).model_dump(),
        status_code=202,
    )


def _validate(items: list[Any]) -> tuple[list[CloudEvent], list[dict[str, Any]]]:
    events: list[CloudEvent] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            event = CloudEvent.model_validate(item)
            parse_inbound(event)
            events.append(event)
        except ValidationError as exc:
            errors.append(
                {
                    "index": index,
                    "errors": [
                        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()
                    ],
                }
            )
        except PayloadError as exc:
            errors.append({"index": index, "errors": [{"loc": ["data"], "msg": str(exc)}]})
    return events, errors


async def _unknown_returns(
    events: list[CloudEvent], sessions: async_sessionmaker[AsyncSession]
) -> list[dict[str, Any]]:
    """Returns must refer to a purchase of the same member, already seen or in this batch."""
    in_batch = {(e.id, e.subject) for e in events if e.type == "purchase.completed"}
    returns = [
        (i, str(e.data["original_event_id"]), e.subject)
        for i, e in enumerate(events)
        if e.type == "purchase.returned"
    ]
    wanted = [r for r in returns if (r[1], r[2]) not in in_batch]
    if not wanted:
        return []
    async with sessions() as session:
        known = await views.purchase_owners(session, [w[1] for w in wanted])
    return [
        {
            "index": i,
            "errors": [
                {
                    "loc": ["data", "original_event_id"],
                    "msg": f"no purchase {original!r} of this member",
                }
            ],
        }
        for i, original, member in wanted
        if (original, member) not in known
    ]
