"""What the console's pages need, wired once in bootstrap and reached through the app."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from services.console.adapters.attempts import Attempts
from services.console.adapters.backends import Backends
from services.console.adapters.sessions import COOKIE, Session, Sessions, Wallets, same_token
from services.console.settings import ConsoleSettings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class ConsoleContext:
    settings: ConsoleSettings
    backends: Backends
    sessions: Sessions
    wallets: Wallets
    templates: Jinja2Templates
    sign_ins: Attempts = field(default_factory=Attempts)  # per client address


def _context(request: Request) -> ConsoleContext:
    found: ConsoleContext = request.app.state.context
    return found


ConsoleDep = Annotated[ConsoleContext, Depends(_context)]


def signed_in(console: ConsoleContext, request: Request) -> Session | None:
    return console.sessions.open(request.cookies.get(COOKIE))


class SignedOut(Exception):
    """No manager's session (or an expired one): the page sends them to sign in."""


class StaleForm(Exception):
    """A form posted without this session's CSRF token."""


def manager(console: ConsoleContext, request: Request, csrf: str | None = None) -> Session:
    """The signed-in manager; with ``csrf`` (a form's post), checked against their session."""
    session = signed_in(console, request)
    if session is None:
        raise SignedOut
    if csrf is not None and not same_token(csrf, session):
        raise StaleForm
    return session


def page(
    console: ConsoleContext,
    request: Request,
    template: str,
    *,
    session: Session | None,
    status: int = 200,
    **values: Any,
) -> Response:
    """A page (escaped: Jinja2's autoescape), with who is signed in and the form token."""
    return console.templates.TemplateResponse(
        request,
        template,
        {"session": session, "csrf": session.csrf if session else "", **values},
        status_code=status,
    )


def refused(
    console: ConsoleContext,
    request: Request,
    session: Session,
    problem: str,
    *,
    back: str,
    back_label: str,
) -> Response:
    """A form a service (or the page) did not take: its reason, and the way back (422)."""
    return page(
        console,
        request,
        "down.html",
        session=session,
        problem=problem,
        status=422,
        back=back,
        back_label=back_label,
    )
