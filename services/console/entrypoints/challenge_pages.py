"""Challenges, for a manager: the table (who joined, is on their way, completed, what the
completions gave) and a form to make or change one — the goal, what counts as a step, the
window, who may take it, the points and the badge — with no expressions to write."""

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS, path_segment
from services.console.entrypoints.challenge_form import (
    GOALS,
    STEP_LABELS,
    form_from_spec,
    spec_from_form,
)
from services.console.entrypoints.context import ConsoleDep, manager, page, refused

router = APIRouter(prefix="/challenges")
_SLUG = re.compile(r"[^a-z0-9]+")


@router.get("", response_class=HTMLResponse)
async def challenges(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    down: list[str] = []
    answer = await console.backends.read(
        "rules", "/v1/challenges", down=down, key=session.key, scope=REPORTS
    )
    return page(
        console,
        request,
        "challenges.html",
        session=session,
        challenges=answer.body if answer is not None and answer.ok else [],
        goals=GOALS,
        down=down,
        notice=notice[:300],
    )


async def _choices(console: ConsoleDep, key: str) -> dict[str, Any]:
    """The audiences, partners and catalogue rewards a challenge may name."""
    audiences = await console.backends.call("rules", "GET", "/v1/audiences", key=key, scope=ADMIN)
    partners = await console.backends.call("rules", "GET", "/v1/partners", key=key, scope=ADMIN)
    catalogue = await console.backends.call(
        "ledger", "GET", "/v1/admin/rewards", key=key, scope=ADMIN
    )
    return {
        "audiences": [a["spec"] for a in audiences.body if a["spec"]["enabled"]]
        if audiences.ok
        else [],
        "partners": [p["spec"] for p in partners.body] if partners.ok else [],
        "rewards": [r for r in catalogue.body if r.get("enabled", True)] if catalogue.ok else [],
        "goals": GOALS,
        "steps": STEP_LABELS,
    }


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, console: ConsoleDep) -> Response:
    session = manager(console, request)
    form = form_from_spec({"goal": "weeks_in_a_row", "target": 3, "points": 100})
    return page(
        console,
        request,
        "challenge.html",
        session=session,
        form=form,
        found=None,
        notice="",
        **await _choices(console, session.key),
    )


@router.get("/{challenge_id}", response_class=HTMLResponse)
async def challenge(
    request: Request, console: ConsoleDep, challenge_id: str, notice: str = ""
) -> Response:
    session = manager(console, request)
    at = f"/v1/challenges/{path_segment(challenge_id)}"
    answer = await console.backends.call("rules", "GET", at, key=session.key, scope=REPORTS)
    if not answer.ok:
        return page(
            console,
            request,
            "down.html",
            session=session,
            problem=answer.problem,
            status=answer.status,
        )
    return page(
        console,
        request,
        "challenge.html",
        session=session,
        form=form_from_spec(answer.body["spec"]),
        found=answer.body,
        notice=notice[:300],
        **await _choices(console, session.key),
    )


@router.post("", response_class=HTMLResponse)
async def save(request: Request, console: ConsoleDep) -> Response:
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    given = str(form.get("challenge_id") or "").strip()
    challenge_id = given or _SLUG.sub("-", str(form.get("name_en") or "").lower()).strip("-")
    challenge_id = challenge_id[:100]
    back = f"/challenges/{path_segment(challenge_id)}" if given else "/challenges/new"
    if not challenge_id:
        return refused(
            console,
            request,
            session,
            "Give the challenge an English name.",
            back=back,
            back_label="Back to the challenge",
        )
    answer = await console.backends.call(
        "rules",
        "PUT",
        f"/v1/challenges/{path_segment(challenge_id)}",
        key=session.key,
        scope=ADMIN,
        json=spec_from_form(form, challenge_id),
    )
    if not answer.ok:
        return refused(
            console, request, session, answer.problem, back=back, back_label="Back to the challenge"
        )
    done = f"Saved (version {answer.body['version']}): members' next steps count."
    return RedirectResponse(
        f"/challenges/{path_segment(challenge_id)}?notice={quote(done)}", status_code=303
    )
