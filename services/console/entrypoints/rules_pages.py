"""The program's rules: the table, the editor with live expression checks, the simulator of
the draft, saving a new version, the versions with a diff."""

import asyncio
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS, Answer, path_segment
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.rule_form import EVENTS
from services.console.entrypoints.rule_texts import (
    as_yaml,
    example_event,
    newest_change,
    parsed_spec,
    source_line,
)

router = APIRouter()


@router.get("/rules", response_class=HTMLResponse)
async def rules_table(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    rules: list[dict[str, Any]] = []
    down: list[str] = []
    by_rule: dict[str, Any] = {}
    drafts: dict[str, Any] = {}
    scheduled: dict[str, Any] = {}
    answer = await console.backends.read(
        "rules", "/v1/rules", down=down, key=session.key, scope=ADMIN
    )
    if answer is not None:
        rules = answer.body if answer.ok else []
        report, drafted, waiting = await asyncio.gather(
            console.backends.call(
                "rules", "GET", "/v1/report", key=session.key, scope=REPORTS, params={"days": 30}
            ),
            console.backends.call("rules", "GET", "/v1/drafts", key=session.key, scope=ADMIN),
            console.backends.call("rules", "GET", "/v1/scheduled", key=session.key, scope=ADMIN),
        )
        if report.ok:
            by_rule = {r["rule_id"]: r for r in report.body["points"]["by_rule"]}
        live = {r["spec"]["id"] for r in rules}
        drafts = {k: v for k, v in drafted.body.items() if k not in live} if drafted.ok else {}
        scheduled = {k: v for k, v in waiting.body.items() if k not in live} if waiting.ok else {}
    return page(
        console,
        request,
        "rules.html",
        session=session,
        rules=rules,
        by_rule=by_rule,
        drafts_only=drafts,
        event_names=EVENTS,
        scheduled_only=scheduled,
        down=down,
        notice=notice[:300],
    )


@router.get("/rules/{rule_id}/yaml", response_class=HTMLResponse)
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


@router.post("/rules/{rule_id}/yaml", response_class=HTMLResponse)
async def save(
    request: Request,
    console: ConsoleDep,
    rule_id: str,
    spec: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The YAML as the rule's draft (published from the draft's page, like the form's)."""
    session = manager(console, request, csrf)
    parsed, error = parsed_spec(spec, rule_id)
    saved: Answer | None = None
    if parsed is not None:
        saved = await console.backends.call(
            "rules",
            "PUT",
            f"/v1/rules/{path_segment(rule_id)}/draft",
            key=session.key,
            scope=ADMIN,
            json=parsed,
        )
    if saved is not None and saved.ok:
        done = "Draft saved. Check it, then publish it now or from a time."
        return RedirectResponse(
            f"/rules/{path_segment(rule_id)}/draft?notice={quote(done)}", status_code=303
        )
    versions = await console.backends.call(
        "rules", "GET", f"/v1/rules/{path_segment(rule_id)}/versions", key=session.key, scope=ADMIN
    )
    history = versions.body if versions.ok else []
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
    diff = newest_change(history)
    return page(
        console,
        request,
        "rule_yaml.html",
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
