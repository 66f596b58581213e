"""A member as the services know them, and adjusting their points with a reason."""

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import Answer, ServiceDown, seg
from services.console.entrypoints.context import ConsoleDep, manager, page

router = APIRouter()


@router.get("/members", response_class=HTMLResponse)
async def member_lookup(
    request: Request, console: ConsoleDep, member: str = "", notice: str = ""
) -> Response:
    """A member as the services know them: balance, statement with reasons, vouchers, inbox,
    preferences and deliveries (the key needs members:read, and admin for deliveries)."""
    session = manager(console, request)
    member = member.strip()
    found: dict[str, Any] = {}
    down: list[str] = []
    if member:
        calls = {
            "balance": ("ledger", f"/v1/members/{seg(member)}/balance"),
            "entries": ("ledger", f"/v1/members/{seg(member)}/entries?limit=25"),
            "vouchers": ("ledger", f"/v1/members/{seg(member)}/vouchers"),
            "inbox": ("notifications", f"/v1/members/{seg(member)}/inbox?limit=10"),
            "preferences": ("notifications", f"/v1/members/{seg(member)}/preferences"),
            "deliveries": (
                "notifications",
                f"/v1/admin/deliveries?member_id={seg(member)}&limit=10",
            ),
        }
        for name, (service, path) in calls.items():
            if service in down:
                continue
            try:
                found[name] = await console.backends.call(service, "GET", path, key=session.key)
            except ServiceDown:
                down.append(service)
    return page(
        console,
        request,
        "member.html",
        session=session,
        member=member,
        found=found,
        down=down,
        notice=notice[:300],
    )


@router.post("/members/{member_id}/adjustments", response_class=HTMLResponse)
async def adjust(
    request: Request,
    console: ConsoleDep,
    member_id: str,
    points: Annotated[int, Form(ge=-1_000_000, le=1_000_000)],
    reason: Annotated[str, Form(min_length=3, max_length=200)],
    confirmed: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Points added or taken with a reason, once confirmed; the ledger records the key's name."""
    session = manager(console, request, csrf)
    if not confirmed:
        notice = "Tick the box to confirm the adjustment."
    else:
        try:
            done = await console.backends.call(
                "ledger",
                "POST",
                f"/v1/admin/members/{seg(member_id)}/adjustments",
                key=session.key,
                json={"adjustment_id": uuid.uuid4().hex, "points": points, "reason": reason},
            )
        except ServiceDown:
            done = Answer(503, {"detail": "The ledger service is down: nothing was changed."})
        notice = (
            f"Adjusted by {points:+,} points: {reason}." if done.ok else f"Refused: {done.problem}"
        )
    return RedirectResponse(
        f"/members?member={quote(member_id)}&notice={quote(notice)}", status_code=303
    )
