"""The unsubscribe link of emails. Opening it (GET: mail scanners and link previews open links
too) shows a page asking, in the member's language; only its button (POST) unsubscribes. A
mail program's one-click unsubscribe (RFC 8058: POST ``List-Unsubscribe=One-Click``) is a POST
too. No login: the token is the member's secret, and no log line holds it."""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.notifications.entrypoints.context import NotificationsDep
from services.notifications.service_layer import members, views

router = APIRouter(prefix="/v1", tags=["members"])
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

_WORDS = {
    "en": {
        "title": "Unsubscribe from email",
        "ask": "Do you want to stop getting email from us? Messages in the app's inbox go on.",
        "button": "Unsubscribe",
        "done": "You will not get email from us any more. You can turn email back on in the "
        "app's preferences.",
        "unknown": "This link is not known: it may be old. Choose what you get in the app's "
        "preferences.",
    },
    "da": {
        "title": "Afmeld e-mails",
        "ask": "Vil du ikke længere have e-mails fra os? Beskederne i appens indbakke fortsætter.",
        "button": "Afmeld",
        "done": "Du får ikke længere e-mails fra os. Du kan slå e-mails til igen under "
        "indstillinger i appen.",
        "unknown": "Linket kendes ikke: det kan være gammelt. Vælg, hvad du får, under "
        "indstillinger i appen.",
    },
    "sv": {
        "title": "Avregistrera dig från e-post",
        "ask": "Vill du sluta få e-post från oss? Meddelandena i appens inkorg fortsätter.",
        "button": "Avregistrera",
        "done": "Du får inte längre e-post från oss. Du kan slå på e-post igen under "
        "inställningar i appen.",
        "unknown": "Länken är okänd: den kan vara gammal. Välj vad du får under inställningar "
        "i appen.",
    },
}


_PAGE = {"content": {"text/html": {"schema": {"type": "string"}}}}


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    responses={
        200: {"description": "the page asking", **_PAGE},
        404: {"description": "a page saying the link is not known", **_PAGE},
    },
)
async def ask_to_unsubscribe(token: Token, notifications: NotificationsDep) -> Response:
    """A page asking whether to unsubscribe from email; nothing changes yet."""
    async with notifications.sessions() as session:
        found = await views.preferences_by_token(session, token)
    language = found.language if found else "en"
    words = _WORDS.get(language, _WORDS["en"])
    if found is None:
        return _page(language, words["title"], f"<p>{escape(words['unknown'])}</p>", 404)
    form = (
        f"<p>{escape(words['ask'])}</p>"
        f'<form method="post" action="/v1/unsubscribe/{escape(token)}">'
        f'<button type="submit">{escape(words["button"])}</button></form>'
    )
    return _page(language, words["title"], form, 200)


@router.post(
    "/unsubscribe/{token}",
    responses={
        200: {
            "description": "unsubscribed: a page for a person, JSON for a mail program",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        404: {
            "description": "the link is not known: a page for a person, a problem otherwise",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/problem+json": {"schema": {"type": "object"}},
            },
        },
    },
)
async def unsubscribe(token: Token, request: Request, notifications: NotificationsDep) -> Response:
    """No more email for any category: a page for a person (a form's POST), JSON otherwise
    (a mail program's one-click, an app)."""
    person = "text/html" in request.headers.get("accept", "")
    try:
        language = await members.unsubscribe_from_email(token, uow=notifications.uow())
    except members.UnknownToken:
        if person:
            words = _WORDS["en"]
            return _page("en", words["title"], f"<p>{escape(words['unknown'])}</p>", 404)
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Not found",
                "status": 404,
                "detail": "this unsubscribe link is not known",
            },
            status_code=404,
            media_type="application/problem+json",
        )
    if person:
        words = _WORDS.get(language, _WORDS["en"])
        return _page(language, words["title"], f"<p>{escape(words['done'])}</p>", 200)
    return JSONResponse({"status": "unsubscribed", "channel": "email"})


def _page(language: str, title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>{body}"
        "</main></body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
