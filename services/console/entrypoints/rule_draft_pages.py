"""A rule's page (the version in force said in words, its versions, a draft waiting), and the
way from a draft to members: what it changes against the version in force, a simulation and a
replay over recent history, then publishing it now or from a time, after a confirmation."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page, refused
from services.console.entrypoints.rule_texts import as_yaml, changes, example_event, newest_change
from services.console.entrypoints.rule_words import describe

router = APIRouter(prefix="/rules")


@router.get("/{rule_id}", response_class=HTMLResponse)
async def rule(request: Request, console: ConsoleDep, rule_id: str, notice: str = "") -> Response:
    session = manager(console, request)
    at = f"/v1/rules/{path_segment(rule_id)}"
    versions, draft, trail = await asyncio.gather(
        console.backends.call("rules", "GET", f"{at}/versions", key=session.key, scope=ADMIN),
        console.backends.call("rules", "GET", f"{at}/draft", key=session.key, scope=ADMIN),
        console.backends.call(
            "rules",
            "GET",
            "/v1/audit",
            key=session.key,
            scope=ADMIN,
            params={"kind": "rule", "object_id": rule_id, "limit": 20},
        ),
    )
    if not versions.ok:
        if draft.ok:  # a new rule, only drafted so far
            return RedirectResponse(f"/rules/{path_segment(rule_id)}/draft", status_code=303)
        return page(
            console, request, "down.html", session=session, problem=versions.problem, status=404
        )
    history = versions.body
    now = datetime.now(UTC).isoformat()
    live = [v for v in history if v["effective_at"] <= now][-1:]
    waiting = [v for v in history if v["effective_at"] > now]
    return page(
        console,
        request,
        "rule.html",
        session=session,
        rule_id=rule_id,
        live=live[0] if live else None,
        name=history[-1]["spec"]["name"],
        said=describe((live or history[-1:])[0]["spec"]),
        waiting=waiting,
        history=history,
        draft=draft.body if draft.ok else None,
        trail=trail.body if trail.ok else [],
        diff=newest_change(history),
        notice=notice[:300],
    )


@router.get("/{rule_id}/draft", response_class=HTMLResponse)
async def draft(request: Request, console: ConsoleDep, rule_id: str, notice: str = "") -> Response:
    session = manager(console, request)
    answer = await console.backends.call(
        "rules", "GET", f"/v1/rules/{path_segment(rule_id)}/draft", key=session.key, scope=ADMIN
    )
    if not answer.ok:
        return RedirectResponse(f"/rules/{path_segment(rule_id)}", status_code=303)
    found = answer.body
    return page(
        console,
        request,
        "rule_draft.html",
        session=session,
        rule_id=rule_id,
        draft=found,
        said=describe(found["spec"]),
        live_said=describe(found["live"]) if found["live"] else None,
        diff=changes(found["live"], found["spec"], f"version {found['live_version']}", "draft"),
        spec=as_yaml(found["spec"]),
        example=json.dumps(example_event(), indent=2),
        notice=notice[:300],
    )


@router.post("/{rule_id}/publish", response_class=HTMLResponse)
async def publish(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    csrf: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form(max_length=40)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """First a confirmation of what is published and when; then the draft is published."""
    session = manager(console, request, csrf)
    at = f"/v1/rules/{path_segment(rule_id)}"
    back = f"/rules/{path_segment(rule_id)}/draft"
    when = _moment(effective_at)
    if when is None:
        return refused(
            console,
            request,
            session,
            f"{effective_at.strip()!r} is not a time: write it as 2026-12-24 06:00 (UTC).",
            back=back,
            back_label="Back to the draft",
        )
    if confirm != "yes":
        found = await console.backends.call(
            "rules", "GET", f"{at}/draft", key=session.key, scope=ADMIN
        )
        if not found.ok:
            return RedirectResponse(back, status_code=303)
        return page(
            console,
            request,
            "rule_publish.html",
            session=session,
            rule_id=rule_id,
            draft=found.body,
            said=describe(found.body["spec"]),
            when=when,
            shown_when=when.replace("T", " ").replace("Z", " UTC"),
        )
    answer = await console.backends.call(
        "rules",
        "POST",
        f"{at}/publish",
        key=session.key,
        scope=ADMIN,
        json={"effective_at": when or None},
    )
    if not answer.ok:
        return refused(
            console, request, session, answer.problem, back=back, back_label="Back to the draft"
        )
    body = answer.body
    if not body["changed"]:
        done = f"The draft was the same as version {body['version']}: nothing changed."
    elif body["effective_at"]:
        at = body["effective_at"][:16].replace("T", " ")
        done = f"Version {body['version']} is scheduled: in force from {at} UTC."
    else:
        done = f"Published: version {body['version']} is in force now."
    return RedirectResponse(f"/rules/{path_segment(rule_id)}?notice={quote(done)}", status_code=303)


def _moment(text: str) -> str | None:
    """A time as typed (2026-12-24 06:00, seconds if wanted; UTC) as the API takes it; "" for
    none; None when it is not a time."""
    typed = text.strip().replace("T", " ").removesuffix("Z").removesuffix(" UTC")
    if not typed:
        return ""
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@router.post("/{rule_id}/discard", response_class=HTMLResponse)
async def discard(
    request: Request, console: ConsoleDep, rule_id: str, csrf: Annotated[str, Form()] = ""
) -> Response:
    session = manager(console, request, csrf)
    at = f"/v1/rules/{path_segment(rule_id)}"
    await console.backends.call("rules", "DELETE", f"{at}/draft", key=session.key, scope=ADMIN)
    versions = await console.backends.call(
        "rules", "GET", f"{at}/versions", key=session.key, scope=ADMIN
    )
    to = f"/rules/{path_segment(rule_id)}" if versions.ok else "/rules"  # (a new rule: gone)
    return RedirectResponse(f"{to}?notice={quote('The draft is discarded.')}", status_code=303)
