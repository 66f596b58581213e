"""A member as the services know them, and adjusting their points with a reason."""

import asyncio
import re
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, MEMBERS_READ, Answer, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.member_listing import listing
from shared.contracts.envelope import MEMBER_ID as MEMBER_ID_TEXT

router = APIRouter()


@router.get("/members", response_class=HTMLResponse)
async def member_lookup(
    request: Request,
    console: ConsoleDep,
    member: str = "",
    notice: str = "",
    by: str = "",
    sort: str = "updated_at",
    order: str = "desc",
    prefix: str = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=200_000)] = 1,
) -> Response:
    """A member as the services know them: balance, tier and progress, statement with reasons,
    vouchers, inbox, preferences (each read with members:read only) and deliveries (admin).
    Found by id, or by email address or phone number (the notification service, which holds
    them, answers with the member's id); ``by=id`` takes the text as an id (a member id may
    be an email address), and an email address no member has is tried as an id."""
    session = manager(console, request)
    member = member.strip()[:320]
    found: dict[str, Answer | None] = {}
    down: list[str] = []
    listed = None  # the table of members, when none is looked up
    kind = None if by == "id" else contact_kind(member)
    if kind is not None:
        answer = await console.backends.call(
            "notifications",
            "GET",
            f"/v1/members/by-{kind}",
            key=session.key,
            scope=MEMBERS_READ,
            params={kind: member},
        )
        said = "email address" if kind == "email" else "phone number"
        ids: list[str] = answer.body["members"] if answer.ok else []
        if len(ids) == 1:
            return RedirectResponse(f"/members?member={quote(ids[0])}&by=id", status_code=303)
        if not answer.ok:
            notice = f"Not a {said} to search for: {answer.problem}"
        else:
            notice = "" if ids else f"No member has the {said} {member}."
        if kind == "email" and not ids and MEMBER_ID.fullmatch(member):
            notice += " Looked up as a member id."
            at = f"/members?member={quote(member)}&by=id&notice={quote(notice)}"
            return RedirectResponse(at, status_code=303)
        return page(
            console,
            request,
            "member.html",
            session=session,
            member=member,
            found={},
            down=[],
            matches=ids,
            searched=said,
            notice=notice,
        )
    if member:
        m = path_segment(member)
        calls = {
            "balance": ("ledger", f"/v1/members/{m}/balance", MEMBERS_READ),
            "tier": ("rules", f"/v1/members/{m}/tier", MEMBERS_READ),
            "stage": ("rules", f"/v1/members/{m}/stage", MEMBERS_READ),
            "challenges": ("rules", f"/v1/members/{m}/challenges", MEMBERS_READ),
            "entries": ("ledger", f"/v1/members/{m}/entries?limit=25", MEMBERS_READ),
            "vouchers": ("ledger", f"/v1/members/{m}/vouchers", MEMBERS_READ),
            "inbox": ("notifications", f"/v1/members/{m}/inbox?limit=10", MEMBERS_READ),
            "preferences": ("notifications", f"/v1/members/{m}/preferences", MEMBERS_READ),
            "deliveries": ("notifications", f"/v1/admin/deliveries?member_id={m}&limit=10", ADMIN),
        }

        missing: list[str] = []
        answers = await asyncio.gather(
            *(
                console.backends.read(service, path, down=missing, key=session.key, scope=scope)
                for service, path, scope in calls.values()
            )
        )
        found = dict(zip(calls, answers, strict=True))
        down = sorted(set(missing))
    else:
        listed = await listing(
            console, session, sort=sort, order=order, prefix=prefix, page_no=page_no, down=down
        )
    return page(
        console,
        request,
        "member.html",
        session=session,
        member=member,
        found=found,
        down=down,
        notice=notice[:300],
        listed=listed,
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
        done = await console.backends.call(
            "ledger",
            "POST",
            f"/v1/admin/members/{path_segment(member_id)}/adjustments",
            key=session.key,
            scope=ADMIN,
            json={"adjustment_id": uuid.uuid4().hex, "points": points, "reason": reason},
        )
        notice = (
            f"Adjusted by {points:+,} points: {reason}." if done.ok else f"Refused: {done.problem}"
        )
    return RedirectResponse(
        f"/members?member={quote(member_id)}&by=id&notice={quote(notice)}", status_code=303
    )


MEMBER_ID = re.compile(MEMBER_ID_TEXT)
_PHONE_LIKE = re.compile(r"\+?[\d\s\-().]{8,40}")


def contact_kind(text: str) -> str | None:
    """What a manager typed into the member search: an email address, a phone number, or
    (None) a member id."""
    if "@" in text:
        return "email"
    if _PHONE_LIKE.fullmatch(text) and text.startswith("+"):
        return "phone"
    return None
