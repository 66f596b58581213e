"""The members' wallet, mobile-first, in the member's language (da, sv, en): their points, the
history with each entry's reason, the rewards with why one is out of reach, redeeming one (the
voucher code shown large), and the inbox. A member signs in with a link carrying their token
(`pointstream wallet-link MEMBER` for trying it; in production the retailer's app or identity
provider issues it); every call is made with that token, which reaches only their own data."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import Answer, path_segment
from services.console.adapters.sessions import (
    LANGUAGES,
    WALLET_COOKIE,
    WalletSession,
    same_token,
)
from services.console.entrypoints.context import ConsoleContext, ConsoleDep
from services.console.entrypoints.wallet_words import LANGUAGE_NAMES, WORDS, history

router = APIRouter(prefix="/wallet")


def signed_in_wallet(console: ConsoleContext, request: Request) -> WalletSession | None:
    return console.wallets.open(request.cookies.get(WALLET_COOKIE))


def wallet_page(
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


def one_sentence(
    console: ConsoleContext,
    request: Request,
    language: str,
    *,
    status: int,
    message: str | None = None,
    problem: str | None = None,
) -> Response:
    """A page of one sentence: ``message`` (a key of WORDS), or a service's ``problem``."""
    return wallet_page(
        console,
        request,
        "wallet_message.html",
        language,
        status=status,
        message=message,
        problem=problem,
    )


def with_session(response: Response, console: ConsoleContext, cookie: str) -> Response:
    response.set_cookie(
        WALLET_COOKIE,
        cookie,
        max_age=console.sessions.max_age,
        httponly=True,
        samesite="lax",  # the sign-in link arrives from another site (a mail, an app)
        secure=console.settings.secure_cookies,
    )
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, console: ConsoleDep, activated: str = "") -> Response:
    wallet = signed_in_wallet(console, request)
    if wallet is None:
        return one_sentence(console, request, "en", message="expired", status=401)
    lang = wallet.language
    at = f"/v1/members/{path_segment(wallet.member_id)}"
    in_lang = f"lang={path_segment(lang)}"  # the ledger's own texts (rewards, refunds) in it
    balance, ahead, standing, entries, rewards, inbox, offers, tasks = await asyncio.gather(
        read_quietly(console, "ledger", f"{at}/balance", wallet.token),
        read_quietly(console, "ledger", f"{at}/points-ahead", wallet.token),
        read_quietly(console, "rules", f"{at}/tier", wallet.token),
        read_quietly(console, "ledger", f"{at}/entries?{in_lang}&limit=20", wallet.token),
        read_quietly(console, "ledger", f"{at}/rewards?{in_lang}", wallet.token),
        read_quietly(console, "notifications", f"{at}/inbox?limit=10", wallet.token),
        read_quietly(console, "rules", f"{at}/offers", wallet.token),
        read_quietly(console, "rules", f"{at}/challenges", wallet.token),
    )
    if balance is not None and balance.status == 401:
        return one_sentence(console, request, lang, message="expired", status=401)
    return wallet_page(
        console,
        request,
        "wallet.html",
        lang,
        wallet=wallet,
        balance=balance.body if balance and balance.ok else None,
        ahead=ahead.body if ahead and ahead.ok else None,
        standing=standing.body if standing and standing.ok else None,
        entries=history(entries.body["entries"], lang) if entries and entries.ok else None,
        offers=offers.body if offers and offers.ok else None,
        challenges=tasks.body if tasks and tasks.ok else None,
        rewards=rewards.body if rewards and rewards.ok else None,
        inbox=inbox.body["messages"] if inbox and inbox.ok else None,
        idempotency=uuid.uuid4().hex,
        activated=activated[:100],
    )


@router.get("/language/{language}")
async def choose_language(request: Request, console: ConsoleDep, language: str) -> Response:
    wallet = signed_in_wallet(console, request)
    if wallet is None or language not in LANGUAGES:
        return RedirectResponse("/wallet", status_code=303)
    cookie = console.wallets.seal(wallet.token, wallet.member_id, language, wallet.csrf)
    return with_session(RedirectResponse("/wallet", status_code=303), console, cookie)


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
    wallet = signed_in_wallet(console, request)
    if wallet is None:
        return one_sentence(console, request, "en", message="expired", status=401)
    if not same_token(csrf, wallet):
        return RedirectResponse("/wallet", status_code=303)
    answer = await console.backends.call(
        "ledger",
        "POST",
        f"/v1/members/{path_segment(wallet.member_id)}/redemptions",
        token=wallet.token,
        headers={"Idempotency-Key": idempotency or uuid.uuid4().hex},
        json={"reward_id": reward_id},
    )
    if not answer.ok:
        return one_sentence(
            console,
            request,
            wallet.language,
            problem=answer.problem,
            status=answer.status,
        )
    return wallet_page(
        console, request, "voucher.html", wallet.language, voucher=answer.body.get("voucher")
    )


CATEGORIES = ("points", "rewards", "tier", "birthday", "service", "offers", "challenges")
CHANNELS = ("inbox", "email", "push")


@router.get("/preferences", response_class=HTMLResponse)
async def preferences(request: Request, console: ConsoleDep, saved: bool = False) -> Response:
    wallet = signed_in_wallet(console, request)
    if wallet is None:
        return one_sentence(console, request, "en", message="expired", status=401)
    found = await read_quietly(
        console,
        "notifications",
        f"/v1/members/{path_segment(wallet.member_id)}/preferences",
        wallet.token,
    )
    return wallet_page(
        console,
        request,
        "wallet_preferences.html",
        wallet.language,
        wallet=wallet,
        prefs=found.body if found and found.ok else None,
        categories=CATEGORIES,
        channels=CHANNELS,
        saved=saved,
    )


@router.post("/preferences", response_class=HTMLResponse)
async def save_preferences(request: Request, console: ConsoleDep) -> Response:
    """Channels per category, quiet hours and language, as the member chose them; what the
    form does not show (email address, push token, timezone, consents) is kept."""
    wallet = signed_in_wallet(console, request)
    if wallet is None:
        return one_sentence(console, request, "en", message="expired", status=401)
    form = await request.form()
    if not same_token(str(form.get("csrf", "")), wallet):
        return RedirectResponse("/wallet/preferences", status_code=303)
    path = f"/v1/members/{path_segment(wallet.member_id)}/preferences"
    current = await console.backends.call("notifications", "GET", path, token=wallet.token)
    language = str(form.get("language", wallet.language))
    chosen = {
        **(current.body if current.ok else {}),
        "language": language,
        "channels": {
            c: [ch for ch in CHANNELS if form.get(f"{c}.{ch}") == "on"] for c in CATEGORIES
        },
        "quiet_start": form.get("quiet_start") or None,
        "quiet_end": form.get("quiet_end") or None,
    }
    done = await console.backends.call(
        "notifications", "PUT", path, token=wallet.token, json=chosen
    )
    if not done.ok:
        return one_sentence(
            console,
            request,
            wallet.language,
            problem=done.problem,
            status=done.status,
        )
    cookie = console.wallets.seal(wallet.token, wallet.member_id, language, wallet.csrf)
    return with_session(
        RedirectResponse("/wallet/preferences?saved=1", status_code=303), console, cookie
    )


async def read_quietly(
    console: ConsoleContext, service: str, path: str, token: str
) -> Answer | None:
    """One call; None when the service is down (the page shows that part as unavailable)."""
    return await console.backends.read(service, path, down=[], token=token)
