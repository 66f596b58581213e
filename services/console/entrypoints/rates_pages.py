"""Exchange rates, for a manager: the newest rates (the program's currency for one unit of
another), one set or corrected by a form, or a central bank's file of daily reference rates
uploaded. The rules service's admin API checks and keeps them."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleDep, manager, page, refused
from shared.contracts.currencies import CURRENCIES

router = APIRouter(prefix="/rates")
MAX_FILE = 5_000_000


@router.get("", response_class=HTMLResponse)
async def rates(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    answer = await console.backends.call(
        "rules", "GET", "/v1/exchange-rates", key=session.key, scope=ADMIN
    )
    found = answer.body if answer.ok else {}
    program = found.get("program_currency", "")
    return page(
        console,
        request,
        "rates.html",
        session=session,
        program=program,
        rates=found.get("rates", [])[:200],
        currencies=sorted(CURRENCIES - {program}),
        notice=notice[:300],
    )


@router.post("", response_class=HTMLResponse)
async def set_rate(
    request: Request,
    console: ConsoleDep,
    currency: Annotated[str, Form(pattern=r"^[A-Z]{3}$")],
    day: Annotated[str, Form(max_length=10)],
    rate: Annotated[str, Form(max_length=40)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    session = manager(console, request, csrf)
    body = {"rates": [{"currency": currency, "day": day, "rate": rate.strip().replace(",", ".")}]}
    return await _send(
        request, console, session, json=body, done=f"1 {currency} = {rate} on {day}."
    )


@router.post("/file", response_class=HTMLResponse)
async def load_file(
    request: Request,
    console: ConsoleDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    session = manager(console, request, csrf)
    content = await file.read(MAX_FILE + 1)
    if len(content) > MAX_FILE:
        return _refused(console, request, session, f"A rates file is at most {MAX_FILE} bytes.")
    return await _send(
        request,
        console,
        session,
        path="/v1/exchange-rates/csv",
        method="POST",
        content=content,
        headers={"Content-Type": "text/csv"},
        done="Rates loaded.",
    )


async def _send(
    request: Request,
    console: ConsoleDep,
    session: Session,
    *,
    done: str,
    path: str = "/v1/exchange-rates",
    method: str = "PUT",
    **sent: Any,
) -> Response:
    answer = await console.backends.call(
        "rules",
        method,
        path,
        key=session.key,
        scope=ADMIN,
        **sent,
    )
    if not answer.ok:
        return _refused(console, request, session, answer.problem)
    if path.endswith("/csv"):
        done = f"{answer.body['set']} rates loaded."
    return RedirectResponse(f"/rates?notice={quote(done)}", status_code=303)


def _refused(console: ConsoleDep, request: Request, session: Session, problem: str) -> Response:
    return refused(
        console, request, session, problem, back="/rates", back_label="Back to exchange rates"
    )
