"""Offers, for a manager: the table (who each reached, treated and control), a form to make
or change one (no expressions: an audience, a benefit, which lines, a window, limits, a
control group), its replay over the last 30 days before saving, and whether it worked (the
lift of the treated over the control group, with 95 % intervals, drawn)."""

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page, refused
from services.console.entrypoints.offer_form import form_from_spec, spec_from_form

router = APIRouter(prefix="/offers")
_SLUG = re.compile(r"[^a-z0-9]+")
REPLAY_SECONDS = 120  # a replay reads up to 90 days of events


@router.get("", response_class=HTMLResponse)
async def offers(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    down: list[str] = []
    answer = await console.backends.read(
        "rules", "/v1/offers", down=down, key=session.key, scope=ADMIN
    )
    found = answer.body if answer is not None and answer.ok else []
    return page(
        console,
        request,
        "offers.html",
        session=session,
        offers=found,
        down=down,
        notice=notice[:300],
    )


async def _rewards(console: ConsoleDep, key: str) -> list[dict[str, Any]]:
    """The catalogue, for an offer of a reward for fewer points."""
    answer = await console.backends.call("ledger", "GET", "/v1/admin/rewards", key=key, scope=ADMIN)
    return [r for r in answer.body if r.get("enabled", True)] if answer.ok else []


async def _audiences(console: ConsoleDep, key: str) -> list[dict[str, Any]]:
    answer = await console.backends.call("rules", "GET", "/v1/audiences", key=key, scope=ADMIN)
    return [a["spec"] for a in answer.body if a["spec"]["enabled"]] if answer.ok else []


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, console: ConsoleDep) -> Response:
    session = manager(console, request)
    form = form_from_spec({"control_share": "0.1", "effect": {"type": "points_per_amount"}})
    return page(
        console,
        request,
        "offer.html",
        session=session,
        form=form,
        found=None,
        lift=None,
        audiences=await _audiences(console, session.key),
        rewards=await _rewards(console, session.key),
        notice="",
    )


@router.get("/{offer_id}", response_class=HTMLResponse)
async def offer(request: Request, console: ConsoleDep, offer_id: str, notice: str = "") -> Response:
    session = manager(console, request)
    at = f"/v1/offers/{path_segment(offer_id)}"
    answer = await console.backends.call("rules", "GET", at, key=session.key, scope=ADMIN)
    if not answer.ok:
        return page(
            console,
            request,
            "down.html",
            session=session,
            problem=answer.problem,
            status=answer.status,
        )
    lift = await console.backends.call("rules", "GET", f"{at}/lift", key=session.key, scope=REPORTS)
    return page(
        console,
        request,
        "offer.html",
        session=session,
        form=form_from_spec(answer.body["spec"]),
        found=answer.body,
        lift=lift.body if lift.ok else None,
        audiences=await _audiences(console, session.key),
        rewards=await _rewards(console, session.key),
        notice=notice[:300],
    )


def _offer_id(form: Any) -> str:
    given = str(form.get("offer_id") or "").strip()
    return given or _SLUG.sub("-", str(form.get("name_en") or "").lower()).strip("-")[:100]


@router.post("/replay", response_class=HTMLResponse)
async def replay(request: Request, console: ConsoleDep) -> Response:
    """The form as it stands, replayed over the last 30 days (nothing saved)."""
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    offer_id = _offer_id(form) or "draft"
    answer = await console.backends.call(
        "rules",
        "POST",
        f"/v1/offers/{path_segment(offer_id)}/replay",
        key=session.key,
        scope=ADMIN,
        params={"days": 30},
        json=spec_from_form(form, offer_id),
        timeout=REPLAY_SECONDS,
    )
    result = answer.body if answer.ok else None
    return page(
        console,
        request,
        "replay.html",
        session=session,
        result=result,
        problem=None if answer.ok else answer.problem,
    )


@router.post("", response_class=HTMLResponse)
async def save(request: Request, console: ConsoleDep) -> Response:
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    offer_id = _offer_id(form)
    back = f"/offers/{path_segment(offer_id)}" if form.get("offer_id") else "/offers/new"
    if not offer_id:
        return refused(
            console,
            request,
            session,
            "Give the offer an English name.",
            back=back,
            back_label="Back to the offer",
        )
    answer = await console.backends.call(
        "rules",
        "PUT",
        f"/v1/offers/{path_segment(offer_id)}",
        key=session.key,
        scope=ADMIN,
        json=spec_from_form(form, offer_id),
    )
    if not answer.ok:
        return refused(
            console, request, session, answer.problem, back=back, back_label="Back to the offer"
        )
    await console.backends.call(
        "rules", "POST", "/v1/audiences/refresh", key=session.key, scope=ADMIN
    )
    done = f"Saved (version {answer.body['version']}): members of its audience get it now."
    return RedirectResponse(
        f"/offers/{path_segment(offer_id)}?notice={quote(done)}", status_code=303
    )
