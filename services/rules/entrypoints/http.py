"""Ingest API: for systems that cannot speak Kafka. Answers once Kafka acknowledged the write."""

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.orm import activities, member_states, processed_events, purchases
from services.rules.adapters.rates import rates_within
from services.rules.domain.exchange import (
    convert,
    no_rate,
    purchase_day,
    rate_for,
    rates_needed,
    too_large,
)
from services.rules.entrypoints.context import RulesContext, RulesDep
from services.rules.service_layer import views
from shared import tracing
from shared.auth import SCOPE_ADMIN, SCOPE_INGEST
from shared.callers import Caller, MemberId, require_member_access, require_scope
from shared.contracts.envelope import (
    TYPE_HEADER,
    CloudEvent,
    EnvelopeError,
    event_key,
    implausible_time,
)
from shared.contracts.erasure import ERASURE_REQUESTED
from shared.contracts.inbound import MAX_AMOUNT, PayloadError, parse_inbound
from shared.contracts.json import JsonDecodeError, loads_exact
from shared.contracts.modes import BATCH, STRUCTURED, binary_document, http_attributes, media_type
from shared.erasure.model import MemberWasErased
from shared.export import member_export
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
    require_scope(principal, SCOPE_INGEST)
    headers = [(k.lower(), v) for k, v in request.headers.items()]
    return await accept_events(await request.body(), headers=headers, context=rules)


async def accept_events(
    body: bytes,
    *,
    headers: list[tuple[str, str]],
    context: RulesContext,
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
        errors = await _members_erased(events, context)
    if not errors:
        errors = await _returns_not_taken(events, sessions)
    if not errors:
        errors = await _amounts_not_countable(events, context)
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


async def _returns_not_taken(
    events: list[CloudEvent], sessions: async_sessionmaker[AsyncSession]
) -> list[dict[str, Any]]:
    """A return must refer to a purchase of the same member, already recorded or in this
    batch, in the purchase's currency: what the rules would refuse, refused here."""
    in_batch = {
        e.key: (e.subject, str(e.data.get("currency")))
        for e in events
        if e.type == "purchase.completed"
    }
    returns = [
        (
            i,
            str(e.data["original_event_id"]),
            event_key(
                str(e.data.get("original_source") or e.source), str(e.data["original_event_id"])
            ),
            e.subject,
            str(e.data.get("currency")),
        )
        for i, e in enumerate(events)
        if e.type == "purchase.returned"
    ]
    if not returns:
        return []
    # A purchase recorded before events were keyed on source + id is known by its bare id.
    wanted = [k for r in returns for k in r[1:3] if r[2] not in in_batch]
    seen = dict(in_batch)
    if wanted:
        async with sessions() as session:
            seen |= await views.purchases_seen(session, wanted)
    errors = []
    for i, original, key, member, currency in returns:
        found = seen.get(key) or seen.get(original)
        owner, paid_in = found if found is not None else (None, None)
        if owner != member:
            loc, msg = ["data", "original_event_id"], f"no purchase {original!r} of this member"
        elif currency != paid_in:
            loc, msg = (
                ["data", "currency"],
                f"the return is in {currency}, the purchase in {paid_in}",
            )
        else:
            continue
        errors.append({"index": i, "errors": [{"loc": loc, "msg": msg}]})
    return errors


async def _amounts_not_countable(
    events: list[CloudEvent], context: RulesContext
) -> list[dict[str, Any]]:
    """A purchase in another currency than the program's needs a rate for its day, and must
    not be larger than pointstream takes once converted: what the rules would refuse, refused
    here (one query for the batch's rates)."""
    program = context.settings.currency
    now = datetime.now(UTC)
    foreign = [
        # (an event dated after it arrives counts from its arrival, as the consumer has it)
        (i, e, str(e.data["currency"]), purchase_day(min(e.time, now)))
        for i, e in enumerate(events)
        if e.type == "purchase.completed" and e.data.get("currency") != program
    ]
    if not foreign:
        return []
    spans = rates_needed(((currency, day) for _, _, currency, day in foreign), program)
    async with context.sessions() as session:
        rates = await rates_within(session, spans)
    errors = []
    for i, e, currency, day in foreign:
        rate = rate_for(rates, currency, day)
        if rate is None:
            loc, msg = ["data", "currency"], str(no_rate(currency, day, program))
        elif (counted := convert(total := Decimal(str(e.data["total"])), rate.rate)) > MAX_AMOUNT:
            loc = ["data", "total"]
            msg = too_large(total, currency, counted, program, MAX_AMOUNT)
        else:
            continue
        errors.append({"index": i, "errors": [{"loc": loc, "msg": msg}]})
    return errors


@router.get("/members/{member_id}/export", tags=["members"])
async def export_member(member_id: MemberId, principal: Caller, rules: RulesDep) -> Response:
    """Everything the rules hold about the member, as one JSON document streamed as it is
    read (right of access and portability): their state (tier, counts, birthday, language),
    their purchases as the rules recorded them, and the events of theirs processed. An admin
    key, or the member's own token."""
    require_member_access(principal, member_id, SCOPE_ADMIN)
    return member_export(
        rules.sessions,
        "rules",
        member_id,
        (
            ("state", member_states, ()),
            ("purchases", purchases, (purchases.c.occurred_at,)),
            ("activities", activities, (activities.c.occurred_at,)),
            ("processed_events", processed_events, (processed_events.c.processed_at,)),
        ),
    )
