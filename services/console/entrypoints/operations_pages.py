"""Operations: each service's readiness and consumer lag, the dead letters (why, from where,
when) and replaying one consumer group's after a fix."""

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN
from services.console.entrypoints.context import ConsoleDep, manager, page

router = APIRouter()
SERVICES = ("rules", "ledger", "notifications")
_LAG = re.compile(r"^pointstream_consumer_lag\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)


@router.get("/operations", response_class=HTMLResponse)
async def operations(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    ready, metrics = await asyncio.gather(  # all six reads at once
        asyncio.gather(*(console.backends.ready(s) for s in SERVICES)),
        asyncio.gather(*(console.backends.metrics(s) for s in SERVICES)),
    )
    services: list[dict[str, Any]] = [
        {
            "name": service,
            "ready": is_ready,
            "lag": None if lag is None else int(sum(float(v) for v in _LAG.findall(lag))),
        }
        for service, is_ready, lag in zip(SERVICES, ready, metrics, strict=True)
    ]
    letters: list[dict[str, str]] | None = None
    down: list[str] = []
    answer = await console.backends.read(
        "rules",
        "/v1/admin/dead-letters",
        down=down,
        key=session.key,
        scope=ADMIN,
        params={"limit": 50},
    )
    letters = answer.body["letters"] if answer and answer.ok else None
    return page(
        console,
        request,
        "operations.html",
        session=session,
        services=services,
        letters=letters,
        groups=sorted({letter["group"] for letter in letters or [] if letter["group"]}),
        down=down,
        notice=notice[:300],
    )


@router.post("/operations/replay")
async def replay(
    request: Request,
    console: ConsoleDep,
    group: Annotated[str, Form(min_length=1, max_length=200)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    session = manager(console, request, csrf)
    answer = await console.backends.call(
        "rules",
        "POST",
        "/v1/admin/dead-letters/replay",
        key=session.key,
        scope=ADMIN,
        params={"group": group},
    )
    notice = (
        f"{answer.body['replayed']} dead letter(s) of {group} sent back."
        if answer.ok
        else f"Refused: {answer.problem}"
    )
    return RedirectResponse(f"/operations?notice={quote(notice)}", status_code=303)
