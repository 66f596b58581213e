"""The program's rules: the table, the editor with live expression checks, the simulator of
the draft, saving a new version, the versions with a diff."""

import difflib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS, Answer, path_segment
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.rule_texts import as_yaml, example_event, parsed_spec, source_line

router = APIRouter()


@router.get("/rules", response_class=HTMLResponse)
async def rules_table(request: Request, console: ConsoleDep) -> Response:
    session = manager(console, request)
    rules: list[dict[str, Any]] = []
    down: list[str] = []
    by_rule: dict[str, Any] = {}
    answer = await console.backends.read(
        "rules", "/v1/rules", down=down, key=session.key, scope=ADMIN
    )
    if answer is not None:
        rules = answer.body if answer.ok else []
        report = await console.backends.call(
            "rules", "GET", "/v1/report", key=session.key, scope=REPORTS, params={"days": 30}
        )
        if report.ok:
            by_rule = {r["rule_id"]: r for r in report.body["points"]["by_rule"]}
    return page(
        console, request, "rules.html", session=session, rules=rules, by_rule=by_rule, down=down
    )


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
async def rule_editor(request: Request, console: ConsoleDep, rule_id: str) -> Response:
    session = manager(console, request)
    versions = await console.backends.call(
        "rules", "GET", f"/v1/rules/{path_segment(rule_id)}/versions", key=session.key, scope=ADMIN
    )
    if not versions.ok:
        return page(
            console, request, "down.html", session=session, problem=versions.problem, status=404
        )
    history = versions.body
    newest = history[-1]["spec"]
    return _editor(console, request, session, rule_id, history, as_yaml(newest))


@router.post("/rules/{rule_id}/check", response_class=HTMLResponse)
async def check(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    spec: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """The live check under the editor: the first error, at its line and column."""
    session = manager(console, request)
    parsed, error = parsed_spec(spec, rule_id)
    result: dict[str, Any] = {"ok": False, "error": error}
    if parsed is not None:
        answer = await console.backends.call(
            "rules",
            "POST",
            f"/v1/rules/{path_segment(rule_id)}/check",
            key=session.key,
            scope=ADMIN,
            json=parsed,
        )
        result = answer.body if answer.ok else {"ok": False, "error": answer.problem}
    return page(
        console,
        request,
        "check.html",
        session=session,
        result=result,
        source_line=source_line(parsed, result),
    )


@router.post("/rules/{rule_id}", response_class=HTMLResponse)
async def save(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    spec: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    session = manager(console, request, csrf)
    parsed, error = parsed_spec(spec, rule_id)
    saved: Answer | None = None
    if parsed is not None:
        saved = await console.backends.call(
            "rules",
            "PUT",
            f"/v1/rules/{path_segment(rule_id)}",
            key=session.key,
            scope=ADMIN,
            json=parsed,
        )
    versions = await console.backends.call(
        "rules", "GET", f"/v1/rules/{path_segment(rule_id)}/versions", key=session.key, scope=ADMIN
    )
    history = versions.body if versions.ok else []
    if saved is not None and saved.ok:
        notice = f"Saved as version {saved.body['version']}."
        return _editor(console, request, session, rule_id, history, spec, notice=notice)
    problem = error if saved is None else saved.problem
    return _editor(console, request, session, rule_id, history, spec, error=problem, status=422)


@router.post("/rules/{rule_id}/replay", response_class=HTMLResponse)
async def replay(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    spec: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The rule as edited, replayed over the last 30 days beside the version in force."""
    session = manager(console, request, csrf)
    parsed, error = parsed_spec(spec, rule_id)
    answer: Answer | None = None
    if parsed is not None:
        answer = await console.backends.call(
            "rules",
            "POST",
            f"/v1/rules/{path_segment(rule_id)}/replay",
            key=session.key,
            scope=ADMIN,
            params={"days": 30},
            json=parsed,
            timeout=120,
        )
    ok = answer is not None and answer.ok
    problem = error if answer is None else (None if ok else answer.problem)
    result = answer.body if ok and answer is not None else None
    return page(console, request, "replay.html", session=session, result=result, problem=problem)


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


def _editor(
    console: Any,
    request: Request,
    session: Session,
    rule_id: str,
    history: list[dict[str, Any]],
    spec_text: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    texts = [as_yaml(v["spec"]) for v in history]
    diff = (
        "".join(
            difflib.unified_diff(
                texts[-2].splitlines(True),
                texts[-1].splitlines(True),
                f"version {history[-2]['version']}",
                f"version {history[-1]['version']}",
            )
        )
        if len(texts) >= 2
        else ""
    )
    return page(
        console,
        request,
        "rule.html",
        session=session,
        rule_id=rule_id,
        spec=spec_text,
        history=history,
        diff=diff,
        notice=notice,
        error=error,
        status=status,
        example=json.dumps(example_event(), indent=2),
    )
