"""Audiences, for a manager: the table with how many are in each, and a builder that writes
the condition from picked facts (or takes one written by hand), with a live count and a few
members as it changes; saving is the audience's next version. The rules service checks,
keeps and counts them; the members' ids export as CSV from its API (each export logged)."""

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page, refused

router = APIRouter(prefix="/audiences")

# The facts a builder row picks from: label, the fact, and its kind (how a value is written).
FACTS: list[tuple[str, str, str]] = [
    ("Days since the last purchase", "member.days_since_last_purchase", "number"),
    ("Purchases, last 30 days", "member.purchases_30d", "number"),
    ("Purchases, last 90 days", "member.purchases_90d", "number"),
    ("Purchases, last 365 days", "member.purchases_365d", "number"),
    ("Spend, last 30 days", "member.spend_30d", "number"),
    ("Spend, last 90 days", "member.spend_90d", "number"),
    ("Spend, last 365 days", "member.spend_365d", "number"),
    ("Average basket, last 365 days", "member.avg_basket_365d", "number"),
    ("Purchases ever", "member.purchases_total", "number"),
    ("Days as a member", "member.tenure_days", "number"),
    ("Recency score (RFM, 1-5)", "member.rfm.r", "number"),
    ("Frequency score (RFM, 1-5)", "member.rfm.f", "number"),
    ("Monetary score (RFM, 1-5)", "member.rfm.m", "number"),
    ("Referrals made", "member.referrals", "number"),
    ("Complaints resolved", "member.complaints_resolved", "number"),
    ("Complaints not yet resolved", "member.complaints_open", "number"),
    ("Days since the last review (-1: none)", "member.days_since_last_review", "number"),
    (
        "Ladder stage (evangelist, grow-me, hear-me, know-me, forgive-me, terrorist)",
        "member.stage",
        "text",
    ),
    ("Tier", "member.tier", "text"),
    ("Language (da, sv, en)", "member.language", "text"),
    ("NPS group (promoter, passive, detractor)", "member.nps_group", "text"),
    ("Categories bought", "member.categories_bought", "list"),
    ("Audiences", "member.audiences", "list"),
    ("Badges", "member.badges", "list"),
]
# Audiences most programs start with: one click fills the builder.
STARTERS: list[tuple[str, str, str]] = [
    (
        "Lapsing",
        "Bought before, but not in the last 60 days",
        "member.purchases_total > 0 && member.days_since_last_purchase >= 60",
    ),
    ("Regulars", "Four or more purchases in the last 90 days", "member.purchases_90d >= 4"),
    ("Big spenders", "The top fifth by spend over the year", "member.rfm.m == 5"),
    ("Promoters", "Answered 9 or 10 to the NPS question", 'member.nps_group == "promoter"'),
    ("New members", "Joined in the last 30 days", "member.tenure_days < 30"),
    (
        "Forgive me",
        "Fell down the ladder: a complaint not yet resolved, or a detractor",
        'member.stage == "forgive-me" || member.stage == "terrorist"',
    ),
]
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:100] or "audience"


@router.get("", response_class=HTMLResponse)
async def audiences(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    down: list[str] = []
    answer = await console.backends.read(
        "rules", "/v1/audiences", down=down, key=session.key, scope=ADMIN
    )
    found = answer.body if answer is not None and answer.ok else []
    return page(
        console,
        request,
        "audiences.html",
        session=session,
        audiences=found,
        down=down,
        notice=notice[:300],
    )


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, console: ConsoleDep) -> Response:
    session = manager(console, request)
    return _builder(console, request, session, None, {"name": "", "condition": ""}, "")


@router.get("/{audience_id}", response_class=HTMLResponse)
async def audience(
    request: Request, console: ConsoleDep, audience_id: str, notice: str = ""
) -> Response:
    session = manager(console, request)
    answer = await console.backends.call(
        "rules",
        "GET",
        f"/v1/audiences/{path_segment(audience_id)}",
        key=session.key,
        scope=ADMIN,
        params={"sample": 20},
    )
    if not answer.ok:
        return page(
            console,
            request,
            "down.html",
            session=session,
            problem=answer.problem,
            status=answer.status,
        )
    return _builder(console, request, session, answer.body, answer.body["spec"], notice)


def _builder(
    console: ConsoleDep,
    request: Request,
    session: Any,
    found: dict[str, Any] | None,
    spec: dict[str, Any],
    notice: str,
) -> Response:
    return page(
        console,
        request,
        "audience.html",
        session=session,
        found=found,
        spec=spec,
        facts=FACTS,
        starters=STARTERS,
        notice=notice[:300],
    )


@router.post("/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    console: ConsoleDep,
    condition: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The live count under the builder: how many meet the condition now, or its error."""
    session = manager(console, request)
    result: dict[str, Any] = {"ok": False, "error": "Pick a fact, or write a condition."}
    if condition.strip():
        answer = await console.backends.call(
            "rules",
            "POST",
            "/v1/audiences/preview",
            key=session.key,
            scope=ADMIN,
            json={"condition": condition, "sample": 5},
        )
        result = answer.body if answer.ok else {"ok": False, "error": answer.problem}
    return page(console, request, "audience_preview.html", session=session, result=result)


@router.post("", response_class=HTMLResponse)
async def save(
    request: Request,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)] = "",
    condition: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    audience_id: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    session = manager(console, request, csrf)
    audience_id = audience_id or slug(name)
    spec = {
        "id": audience_id,
        "name": name.strip(),
        "description": description.strip(),
        "condition": condition.strip(),
    }
    answer = await console.backends.call(
        "rules",
        "PUT",
        f"/v1/audiences/{path_segment(audience_id)}",
        key=session.key,
        scope=ADMIN,
        json=spec,
    )
    if not answer.ok:
        return refused(
            console,
            request,
            session,
            answer.problem,
            back="/audiences",
            back_label="Back to audiences",
        )
    # Members move in and out with their next event; the whole program at once now.
    await console.backends.call(
        "rules", "POST", "/v1/audiences/refresh", key=session.key, scope=ADMIN
    )
    done = f"Saved {name} (version {answer.body['version']})."
    return RedirectResponse(
        f"/audiences/{path_segment(audience_id)}?notice={quote(done)}", status_code=303
    )


@router.get("/{audience_id}/members.csv")
async def export(request: Request, console: ConsoleDep, audience_id: str) -> Response:
    """The members' ids, as the rules service exports them (it logs who asked)."""
    session = manager(console, request)
    answer = await console.backends.call(
        "rules",
        "GET",
        f"/v1/audiences/{path_segment(audience_id)}/members.csv",
        key=session.key,
        scope=ADMIN,
    )
    if not answer.ok:
        return page(
            console,
            request,
            "down.html",
            session=session,
            problem=answer.problem,
            status=answer.status,
        )
    filename = f"audience-{slug(audience_id)}.csv"
    return Response(
        str(answer.body),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
