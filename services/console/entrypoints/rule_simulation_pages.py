"""Trying a rule before it is published: the newest events to pick one from, and what an
event would earn under the rule as edited (nothing is written)."""

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.rule_texts import example_event, parsed_spec

router = APIRouter()


@router.get("/rules/{rule_id}/recent-events", response_class=HTMLResponse)
async def recent_events(request: Request, console: ConsoleDep, rule_id: str) -> Response:
    """The newest events as they arrived, to pick one for the simulator (loaded into the
    editor once it is shown: reading the topic takes a moment)."""
    session = manager(console, request)
    answer = await console.backends.call(
        "rules",
        "GET",
        "/v1/admin/recent-events",
        key=session.key,
        scope=ADMIN,
        params={"limit": 30},
    )
    return page(
        console,
        request,
        "recent_events.html",
        session=session,
        events=answer.body["events"] if answer.ok else None,
        error=None if answer.ok else answer.problem,
        example=example_event(),
    )


@router.post("/rules/{rule_id}/simulate", response_class=HTMLResponse)
async def simulate(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    event: Annotated[str, Form(max_length=50_000)] = "",
    member: Annotated[str, Form(max_length=200)] = "",
    spec: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """What an event would earn a member with the rule as it stands in the editor (not
    saved): the rules that fire, their points and explanations. The member is the event's
    subject unless another is named."""
    session = manager(console, request, csrf)
    draft, error = parsed_spec(spec, rule_id)
    try:
        body = json.loads(event)
    except ValueError as exc:
        error = f"The event is not JSON: {exc}"
    else:
        if not isinstance(body, dict):
            error = "The event is a JSON object (a CloudEvent: specversion, id, type, ...)."
        elif member.strip():
            body["subject"] = member.strip()
    if error is not None:
        return page(console, request, "simulation.html", session=session, error=error)
    answer = await console.backends.call(
        "rules",
        "POST",
        f"/v1/rules/{path_segment(rule_id)}/simulate",
        key=session.key,
        scope=ADMIN,
        json={"spec": draft, "event": body},
    )
    if not answer.ok:
        return page(console, request, "simulation.html", session=session, error=answer.problem)
    return page(console, request, "simulation.html", session=session, simulation=answer.body)
