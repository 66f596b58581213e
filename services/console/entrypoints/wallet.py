"""The members' wallet, mobile-first, in the member's language (da, sv, en): their points, the
history with each entry's reason, the rewards with why one is out of reach, redeeming one (the
voucher code shown large), and the inbox. A member signs in with a link carrying their token
(`pointstream wallet-link MEMBER` for trying it; in production the retailer's app or identity
provider issues it); every call is made with that token, which reaches only their own data."""

import asyncio
import base64
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import Answer, ServiceDown
from services.console.adapters.sessions import LANGUAGES, WALLET_COOKIE, WalletSession, same_token
from services.console.entrypoints.context import ConsoleContext, ConsoleDep, number

router = APIRouter(prefix="/wallet")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your points",
        "available": "points to spend",
        "pending": "on the way (they can be spent once the return window has passed)",
        "history": "History",
        "rewards": "Rewards",
        "redeem": "Redeem",
        "points": "points",
        "inbox": "Messages",
        "voucher": "Your voucher",
        "show": "Show this code at the till",
        "valid": "Valid until",
        "back": "Back to your points",
        "sign_out": "Sign out",
        "language": "Language",
        "bad_link": "This sign-in link is not valid or has expired. Ask for a new one.",
        "expired": "You have been signed out. Open your sign-in link again.",
        "down": "This part is not available right now. Try again in a moment.",
        "nothing": "Nothing yet.",
    },
    "da": {
        "title": "Dine point",
        "available": "point at bruge",
        "pending": "på vej (de kan bruges, når returfristen er udløbet)",
        "history": "Historik",
        "rewards": "Belønninger",
        "redeem": "Indløs",
        "points": "point",
        "inbox": "Beskeder",
        "voucher": "Din kupon",
        "show": "Vis koden ved kassen",
        "valid": "Gælder til",
        "back": "Tilbage til dine point",
        "sign_out": "Log ud",
        "language": "Sprog",
        "bad_link": "Linket er ugyldigt eller udløbet. Bed om et nyt.",
        "expired": "Du er logget ud. Åbn dit link igen.",
        "down": "Denne del er ikke tilgængelig lige nu. Prøv igen om lidt.",
        "nothing": "Intet endnu.",
    },
    "sv": {
        "title": "Dina poäng",
        "available": "poäng att använda",
        "pending": "på väg (de kan användas när returfristen har gått ut)",
        "history": "Historik",
        "rewards": "Belöningar",
        "redeem": "Lös in",
        "points": "poäng",
        "inbox": "Meddelanden",
        "voucher": "Din kupong",
        "show": "Visa koden i kassan",
        "valid": "Gäller till",
        "back": "Tillbaka till dina poäng",
        "sign_out": "Logga ut",
        "language": "Språk",
        "bad_link": "Länken är ogiltig eller har gått ut. Be om en ny.",
        "expired": "Du har loggats ut. Öppna din länk igen.",
        "down": "Den här delen är inte tillgänglig just nu. Försök igen om en stund.",
        "nothing": "Inget ännu.",
    },
}
LANGUAGE_NAMES = {"da": "Dansk", "sv": "Svenska", "en": "English"}


def _wallet(console: ConsoleContext, request: Request) -> WalletSession | None:
    return console.wallets.open(request.cookies.get(WALLET_COOKIE))


def _show(
    console: ConsoleContext,
    request: Request,
    template: str,
    language: str,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    return console.templates.TemplateResponse(
        request,
        template,
        {"w": WORDS[language], "lang": language, "languages": LANGUAGE_NAMES, **values},
        status_code=status,
    )


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


def _keep(response: Response, console: ConsoleContext, cookie: str) -> Response:
    response.set_cookie(
        WALLET_COOKIE,
        cookie,
        max_age=console.sessions.max_age,
        httponly=True,
        samesite="lax",  # the sign-in link arrives from another site (a mail, an app)
        secure=console.settings.secure_cookies,
    )
    return response


@router.get("/enter", response_class=HTMLResponse)
async def enter(request: Request, console: ConsoleDep, token: str = "", lang: str = "") -> Response:
    language = lang if lang in LANGUAGES else "en"
    member = _member_of(token)
    try:
        checked = (
            await console.backends.call(
                "ledger", "GET", f"/v1/members/{member}/balance", token=token
            )
            if member
            else None
        )
    except ServiceDown:
        return _show(console, request, "wallet_message.html", language, message="down", status=503)
    if checked is None or not checked.ok:
        return _show(
            console, request, "wallet_message.html", language, message="bad_link", status=401
        )
    if not lang:
        prefs = await _quietly(console, "notifications", f"/v1/members/{member}/preferences", token)
        found = prefs.body.get("language") if prefs and prefs.ok else None
        language = found if found in LANGUAGES else "en"
    assert member is not None
    return _keep(
        RedirectResponse("/wallet", status_code=303),
        console,
        console.wallets.seal(token, member, language),
    )


@router.get("", response_class=HTMLResponse)
async def home(request: Request, console: ConsoleDep) -> Response:
    wallet = _wallet(console, request)
    if wallet is None:
        return _show(console, request, "wallet_message.html", "en", message="expired", status=401)
    m, lang = wallet.member_id, wallet.language
    balance, entries, rewards, inbox = await asyncio.gather(
        _quietly(console, "ledger", f"/v1/members/{m}/balance", wallet.token),
        _quietly(console, "ledger", f"/v1/members/{m}/entries?limit=20", wallet.token),
        _quietly(console, "ledger", f"/v1/members/{m}/rewards?lang={lang}", wallet.token),
        _quietly(console, "notifications", f"/v1/members/{m}/inbox?limit=10", wallet.token),
    )
    if balance is not None and balance.status == 401:
        return _show(console, request, "wallet_message.html", lang, message="expired", status=401)
    return _show(
        console,
        request,
        "wallet.html",
        lang,
        wallet=wallet,
        balance=balance.body if balance and balance.ok else None,
        entries=_history(entries.body["entries"], lang) if entries and entries.ok else None,
        rewards=rewards.body if rewards and rewards.ok else None,
        inbox=inbox.body["messages"] if inbox and inbox.ok else None,
        idempotency=uuid.uuid4().hex,
    )


@router.get("/language/{language}")
async def choose_language(request: Request, console: ConsoleDep, language: str) -> Response:
    wallet = _wallet(console, request)
    if wallet is None or language not in LANGUAGES:
        return RedirectResponse("/wallet", status_code=303)
    cookie = console.wallets.seal(wallet.token, wallet.member_id, language, wallet.csrf)
    return _keep(RedirectResponse("/wallet", status_code=303), console, cookie)


@router.post("/redeem", response_class=HTMLResponse)
async def redeem(
    request: Request,
    console: ConsoleDep,
    reward_id: Annotated[str, Form(max_length=100)] = "",
    idempotency: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """A reward for points: the voucher, its code large (the form's key makes a double tap
    one redemption)."""
    wallet = _wallet(console, request)
    if wallet is None:
        return _show(console, request, "wallet_message.html", "en", message="expired", status=401)
    if not same_token(csrf, wallet):
        return RedirectResponse("/wallet", status_code=303)
    try:
        answer = await console.backends.call(
            "ledger",
            "POST",
            f"/v1/members/{wallet.member_id}/redemptions",
            token=wallet.token,
            headers={"Idempotency-Key": idempotency or uuid.uuid4().hex},
            json={"reward_id": reward_id},
        )
    except ServiceDown:
        return _show(
            console, request, "wallet_message.html", wallet.language, message="down", status=503
        )
    if not answer.ok:
        return _show(
            console,
            request,
            "wallet_message.html",
            wallet.language,
            problem=answer.problem,
            status=answer.status,
        )
    return _show(
        console, request, "voucher.html", wallet.language, voucher=answer.body.get("voucher")
    )


@router.post("/signout")
async def sign_out(console: ConsoleDep) -> Response:
    response = RedirectResponse("/wallet", status_code=303)
    response.delete_cookie(WALLET_COOKIE)
    return response


# Moves between a member's own accounts (pending to available, held and back) are not news.
_MOVES = frozenset({"mature", "hold", "release"})


def _history(entries: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The entries a member reads, each with its points signed: + to them, a minus from them."""
    shown = []
    for e in entries:
        if e["kind"] in _MOVES:
            continue
        to_member = str(e["credit_account"]).startswith("member:")
        sign = "+" if to_member else "\u2212"
        shown.append({**e, "signed": sign + number(e["points"], language)})
    return shown


async def _quietly(console: ConsoleContext, service: str, path: str, token: str) -> Answer | None:
    """One call; None when the service is down (the page shows that part as unavailable)."""
    try:
        return await console.backends.call(service, "GET", path, token=token)
    except ServiceDown:
        return None
