"""Partners, for a manager: who they are and what they may post, a form to add or change one,
and each partner's monthly settlement (the points its rules awarded, their value, the amount
to invoice) with the same figures as CSV for the invoice."""

import re
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, REPORTS, Answer, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page, refused

router = APIRouter(prefix="/partners")
EVENT_TYPES = ("purchase.completed", "purchase.returned", "member.activity", "referral.completed")
_MONTH = re.compile(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$")


@router.get("", response_class=HTMLResponse)
async def partners(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    down: list[str] = []
    answer = await console.backends.read(
        "rules", "/v1/partners", down=down, key=session.key, scope=ADMIN
    )
    return page(
        console,
        request,
        "partners.html",
        session=session,
        partners=answer.body if answer is not None and answer.ok else [],
        event_types=EVENT_TYPES,
        down=down,
        notice=notice[:300],
    )


@router.post("", response_class=HTMLResponse)
async def save(request: Request, console: ConsoleDep) -> Response:
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    name = str(form.get("name") or "").strip()
    partner_id = str(form.get("partner_id") or "").strip()
    partner_id = partner_id or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100]
    if not partner_id:
        why = "Give the partner a name."
        return refused(console, request, session, why, back="/partners", back_label="Partners")
    spec = {
        "id": partner_id,
        "name": name,
        "events": [str(e) for e in form.getlist("events")],
        "pays_redemptions": form.get("pays_redemptions") == "on",
        "enabled": form.get("paused") != "on",
    }
    if value := str(form.get("point_value") or "").strip().replace(",", "."):
        spec["point_value"] = value
    answer = await console.backends.call(
        "rules",
        "PUT",
        f"/v1/partners/{path_segment(partner_id)}",
        key=session.key,
        scope=ADMIN,
        json=spec,
    )
    if not answer.ok:
        return refused(
            console, request, session, answer.problem, back="/partners", back_label="Partners"
        )
    done = f"Saved {name} (version {answer.body['version']})."
    done += f" Its API key needs the scope partner:{partner_id}."
    return RedirectResponse(f"/partners?notice={quote(done)}", status_code=303)


def _month(text: str) -> str:
    return text if _MONTH.match(text) else datetime.now(UTC).strftime("%Y-%m")


async def _settlement(
    console: ConsoleDep, key: str, partner_id: str, month: str, **params: str
) -> Answer:
    return await console.backends.call(
        "rules",
        "GET",
        f"/v1/partners/{path_segment(partner_id)}/settlement",
        key=key,
        scope=REPORTS,
        params={"month": month, **params},
    )


@router.get("/{partner_id}", response_class=HTMLResponse)
async def settlement(
    request: Request, console: ConsoleDep, partner_id: str, month: str = ""
) -> Response:
    session = manager(console, request)
    month = _month(month)
    answer = await _settlement(console, session.key, partner_id, month)
    if not answer.ok:
        return page(
            console,
            request,
            "down.html",
            session=session,
            problem=answer.problem,
            status=answer.status,
        )
    return page(console, request, "partner.html", session=session, found=answer.body, month=month)


@router.get("/{partner_id}/settlement.csv")
async def settlement_csv(
    request: Request, console: ConsoleDep, partner_id: str, month: str = ""
) -> Response:
    session = manager(console, request)
    month = _month(month)
    answer = await _settlement(console, session.key, partner_id, month, format="csv")
    if not answer.ok:
        return Response(answer.problem, status_code=answer.status, media_type="text/plain")
    name = f"settlement-{partner_id}-{month}.csv"
    return Response(
        str(answer.body),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
