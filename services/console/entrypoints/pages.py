"""The program manager's sign-in with an admin key, and the dashboard. (The rules:
:mod:`rules_pages`; members: :mod:`members_pages`.)"""

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS
from services.console.adapters.sessions import COOKIE, same_token
from services.console.entrypoints.context import ConsoleDep, manager, page, signed_in

router = APIRouter()
PERIODS = (7, 30, 90)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, console: ConsoleDep) -> Response:
    return page(console, request, "login.html", session=None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, console: ConsoleDep, key: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """An admin key signs the manager in; the key itself is kept only in the sealed cookie.
    At most 10 tries a minute from one address (429 beyond, with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    if (wait := console.sign_ins.wait_before(address)) > 0:
        seconds = max(1, math.ceil(wait))
        response = page(
            console,
            request,
            "login.html",
            session=None,
            error=f"Too many sign-in attempts from your address: try again in {seconds} s.",
            status=429,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    who = await console.backends.call("rules", "GET", "/v1/me", key=key.strip(), scope=ADMIN)
    if not who.ok:
        error = "That key is not an admin key." if who.status in (401, 403) else who.problem
        return page(console, request, "login.html", session=None, error=error, status=401)
    token, _ = console.sessions.seal(key.strip(), who.body["name"])
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=console.sessions.max_age,
        httponly=True,
        samesite="strict",
        secure=console.settings.secure_cookies,
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, console: ConsoleDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    session = signed_in(console, request)
    if session is not None and not same_token(csrf, session):
        return HTMLResponse("The form is stale: reload the page.", status_code=403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, console: ConsoleDep, days: int = 30) -> Response:
    session = manager(console, request)
    days = days if days in PERIODS else 30
    report = series = None
    down: list[str] = []
    answer = await console.backends.read(
        "rules", "/v1/report", down=down, key=session.key, scope=REPORTS, params={"days": days}
    )
    if answer is not None:
        report = answer.body if answer.ok else None
        bucket = "day" if days <= 30 else "week"
        answer = await console.backends.call(
            "rules",
            "GET",
            "/v1/report/series",
            key=session.key,
            scope=REPORTS,
            params={"days": days, "bucket": bucket},
        )
        series = answer.body if answer.ok else None
    ladder = await _ladder(console, session.key, days, down)
    return page(
        console,
        request,
        "dashboard.html",
        session=session,
        report=report,
        series_json=_script_json(series["series"] if series else []),
        measures_json=_script_json(report["loyalty"] if report else {}),
        days=days,
        periods=PERIODS,
        down=down,
        ladder=ladder,
    )


async def _ladder(console: ConsoleDep, key: str, days: int, down: list[str]) -> dict[str, Any]:
    """The ladder's stages with their members now (highest first), and how many climbed and
    fell over the period."""
    stages = await console.backends.read("rules", "/v1/ladder", down=down, key=key, scope=REPORTS)
    if stages is None or not stages.ok:
        return {}
    now = datetime.now(UTC)
    moved = await console.backends.call(
        "rules",
        "GET",
        "/v1/ladder/movement",
        key=key,
        scope=REPORTS,
        params={"from": (now - timedelta(days=days)).isoformat(), "to": now.isoformat()},
    )
    ordered = sorted(stages.body["stages"], key=lambda s: -s["rank"])
    rank = {s["id"]: s["rank"] for s in ordered}
    up = down_ = 0
    for flow in moved.body.get("flows", []) if moved.ok else []:
        if flow["from"] and flow["from"] != flow["to"]:
            if rank.get(flow["to"], 0) > rank.get(flow["from"], 0):
                up += flow["members"]
            else:
                down_ += flow["members"]
    start = (now - timedelta(days=days)).date().isoformat()
    return {"stages": ordered, "up": up, "down": down_, "start": start}


def _script_json(value: object) -> str:
    """JSON to put inside a <script> element: no "</" may close it early."""
    return json.dumps(value).replace("</", "<\\/")
