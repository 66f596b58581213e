"""Signing in to the wallet: a link carrying the member's token (`pointstream wallet-link
MEMBER` for trying it; in production the retailer's app or identity provider issues it). The
link shows a button; only the button (a POST, with the page's nonce) uses the link, and a
link works once (the notification service remembers its token until it expires). Signing out
takes the page's own form."""

import base64
import json
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ServiceDown, path_segment
from services.console.adapters.sessions import LANGUAGES, WALLET_COOKIE, same_secret, same_token
from services.console.entrypoints.context import ConsoleContext, ConsoleDep
from services.console.entrypoints.wallet import (
    one_sentence,
    read_quietly,
    signed_in_wallet,
    wallet_page,
    with_session,
)

router = APIRouter(prefix="/wallet")


# The sign-in page's nonce: set when the link is opened, sent back by its button, so that no
# other site can sign a browser in to someone else's wallet (login CSRF).
ENTER_COOKIE = "ps_wallet_enter"


@router.get("/enter", response_class=HTMLResponse)
async def enter(request: Request, console: ConsoleDep, token: str = "", lang: str = "") -> Response:
    """The sign-in link shows a button; only the button (a POST) uses the link, which works
    once: mail scanners and link previews open links too."""
    member = _member_of(token)
    if member is None:
        return one_sentence(
            console, request, lang if lang in LANGUAGES else "en", message="bad_link", status=401
        )
    language = lang if lang in LANGUAGES else await _language_of(console, member, token)
    nonce = secrets.token_urlsafe(24)
    page = wallet_page(
        console,
        request,
        "wallet_enter.html",
        language,
        token=token,
        nonce=nonce,
        chosen=language,  # the button's page speaks it too
    )
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    page.set_cookie(
        ENTER_COOKIE,
        nonce,
        max_age=600,
        httponly=True,
        samesite="strict",
        secure=console.settings.secure_cookies,
    )
    return page


@router.post("/enter", response_class=HTMLResponse)
async def use_link(
    request: Request,
    console: ConsoleDep,
    token: Annotated[str, Form(max_length=8000)] = "",
    nonce: Annotated[str, Form(max_length=100)] = "",
    lang: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    language = lang if lang in LANGUAGES else "en"
    member = _member_of(token)
    if member is None or not same_secret(nonce, request.cookies.get(ENTER_COOKIE, "")):
        return one_sentence(console, request, language, message="bad_link", status=401)
    try:
        used = await console.backends.call(
            "notifications", "POST", f"/v1/members/{path_segment(member)}/sign-ins", token=token
        )
    except ServiceDown:
        return one_sentence(console, request, language, message="down", status=503)
    if used.status == 409:
        return one_sentence(console, request, language, message="link_used", status=409)
    if not used.ok:
        return one_sentence(console, request, language, message="bad_link", status=401)
    if not lang:
        language = await _language_of(console, member, token)
    response = with_session(
        RedirectResponse("/wallet", status_code=303),
        console,
        console.wallets.seal(token, member, language),
    )
    response.delete_cookie(ENTER_COOKIE)
    return response


@router.post("/signout")
async def sign_out(
    request: Request, console: ConsoleDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Signs out only with the page's own form (its CSRF token): another site cannot."""
    wallet = signed_in_wallet(console, request)
    if wallet is not None and not same_token(csrf, wallet):
        return RedirectResponse("/wallet", status_code=303)
    response = RedirectResponse("/wallet", status_code=303)
    response.delete_cookie(WALLET_COOKIE)
    return response


def _member_of(token: str) -> str | None:
    """The member a token names (its ``sub``), read without checking it: the services check
    every call made with it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    member = claims.get("sub") if isinstance(claims, dict) else None
    return str(member) if member else None


async def _language_of(console: ConsoleContext, member: str, token: str) -> str:
    """The member's language, as their preferences say (read with their token: reading does
    not use a sign-in link); English when unknown."""
    prefs = await read_quietly(
        console, "notifications", f"/v1/members/{path_segment(member)}/preferences", token
    )
    found = prefs.body.get("language") if prefs and prefs.ok else None
    return found if found in LANGUAGES else "en"
