"""Ingest API: for systems that cannot speak Kafka. Answers once Kafka acknowledged the write."""

import contextlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError

from services.rules.adapters.challenge_specs import PartnerSpec
from services.rules.entrypoints.context import RulesContext, RulesDep
from services.rules.service_layer.ingest_checks import (
    amounts_not_countable,
    partners_own,
    returns_not_taken,
)
from shared import tracing
from shared.auth import SCOPE_INGEST
from shared.callers import Caller, require_scope
from shared.contracts.envelope import (
    TYPE_HEADER,
    CloudEvent,
    EnvelopeError,
    implausible_time,
)
from shared.contracts.erasure import ERASURE_REQUESTED
from shared.contracts.inbound import PayloadError, parse_inbound
from shared.contracts.json import JsonDecodeError, loads_exact
from shared.contracts.modes import BATCH, STRUCTURED, binary_document, http_attributes, media_type
from shared.erasure.model import MemberWasErased
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
    """Take one CloudEvent or a batch (all or nothing) and write it to ``loyalty.events.v1``:
    structured (``application/cloudevents+json`` or ``application/json``), batched
    (``application/cloudevents-batch+json``) or binary (``ce-*`` headers, the body is data)."""
    partner = None
    if not principal.may(SCOPE_INGEST) and principal.partner is not None:
        await rules.book.refreshed()
        partner = rules.book.partners.get(principal.partner)
    if partner is None or not partner.enabled:
        require_scope(principal, SCOPE_INGEST)
    headers = [(k.lower(), v) for k, v in request.headers.items()]
    return await accept_events(
        await request.body(), headers=headers, context=rules, partner=partner
    )


async def accept_events(
    body: bytes,
    *,
    headers: list[tuple[str, str]],
    context: RulesContext,
    partner: PartnerSpec | None = None,
) -> Response:
    """The ingest itself, for the route and its fast path (``headers``: names lower-cased):
    202 once Kafka acknowledged every event, else a problem document saying what to fix."""
    parts, sessions, settings = context.parts, context.sessions, context.settings
    if len(body) > MAX_BODY_BYTES:
        return problem(413, "Payload too large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    items = _items(body, headers)
    if isinstance(items, Response):
        return items
    if not 1 <= len(items) <= settings.max_batch_events:
        return problem(
            422,
            "Invalid request",
            f"send 1 to {settings.max_batch_events} events, not {len(items)}",
        )
    trace = [(k, v) for k, v in headers if k in ("traceparent", "tracestate")]
    events, errors = _validate(items)
    if not errors:
        errors = partners_own(events, partner)
    if not errors:
        errors = await _members_erased(events, context)
    if not errors:
        errors = await returns_not_taken(events, sessions)
    if not errors:
        errors = await amounts_not_countable(events, sessions, settings.currency)
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
        context_headers = tracing.current_headers()
        await parts.producer.send(
            [
                OutgoingMessage(
                    topic=topic,
                    key=e.subject.encode(),
                    value=e.to_bytes(),
                    headers=(*context_headers, (TYPE_HEADER, e.type.encode())),
                )
                for e in events
            ],
            ack_within=settings.ingest_ack_timeout_seconds,
        )
    return JSONResponse(
        IngestAccepted(accepted=len(events), ids=[e.id for e in events]).model_dump(),
        status_code=202,
    )


def _items(body: bytes, headers: list[tuple[str, str]]) -> list[Any] | Response:
    """The events of a request in any of CloudEvents' HTTP modes, as structured documents; or
    the problem document saying why there are none."""
    content_type = next((v for k, v in headers if k == "content-type"), None)
    attributes = http_attributes(headers)
    if "specversion" in attributes:  # binary mode: the attributes in ce-* headers
        try:
            return [binary_document(attributes, content_type, body)]
        except EnvelopeError as exc:
            return problem(400, "Bad request", str(exc))
    try:
        document = loads_exact(body)
    except JsonDecodeError as exc:
        return problem(400, "Bad request", str(exc))
    kind = media_type(content_type)
    if kind == BATCH and not isinstance(document, list):
        return problem(422, "Invalid request", f"a batch ({BATCH}) is a JSON array of events")
    if kind == STRUCTURED and isinstance(document, list):
        return problem(422, "Invalid request", f"send several events as {BATCH}")
    return document if isinstance(document, list) else [document]


def _validate(items: list[Any]) -> tuple[list[CloudEvent], list[dict[str, Any]]]:
    events: list[CloudEvent] = []
    errors: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for index, item in enumerate(items):
        try:
            event = CloudEvent.model_validate(item)
            if (why := implausible_time(event.time, now)) is not None:
                errors.append({"index": index, "errors": [{"loc": ["time"], "msg": why}]})
                continue
            parse_inbound(event)
            if event.type == ERASURE_REQUESTED:
                why = "an erasure request goes to POST /v1/members/{member_id}/erasure (admin key)"
                errors.append({"index": index, "errors": [{"loc": ["type"], "msg": why}]})
                continue
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
            found = [{"loc": ["data", *loc], "msg": msg} for loc, msg in exc.fields]
            errors.append({"index": index, "errors": found or [{"loc": ["data"], "msg": str(exc)}]})
    return events, errors


async def _members_erased(events: list[CloudEvent], context: RulesContext) -> list[dict[str, Any]]:
    """Events for a member who was erased are refused, not taken as a new member."""
    erased = await context.erased.erased({e.subject for e in events})
    return [
        {"index": i, "errors": [{"loc": ["subject"], "msg": str(MemberWasErased(e.subject, at))}]}
        for i, e in enumerate(events)
        if (at := erased.get(e.subject)) is not None
    ]
