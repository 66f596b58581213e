"""The console's app: pages, the front-end packages (installed from npm by `make install`),
its own stylesheet."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from services.console.adapters.backends import Backends, ServiceDown
from services.console.adapters.sessions import Sessions, Wallets
from services.console.entrypoints import (
    audience_pages,
    audit_pages,
    challenge_pages,
    ladder_pages,
    members_pages,
    offer_pages,
    operations_pages,
    pages,
    partner_pages,
    program_pages,
    rates_pages,
    rule_draft_pages,
    rule_form_pages,
    rule_simulation_pages,
    rules_pages,
    wallet,
    wallet_offers,
    wallet_sign_in,
)
from services.console.entrypoints.context import (
    TEMPLATES,
    ConsoleContext,
    SignedOut,
    StaleForm,
    page,
    signed_in,
)
from services.console.settings import ConsoleSettings
from shared import wording

HERE = Path(__file__).resolve().parent
PACKAGES = HERE.parent.parent / "deploy" / "console" / "node_modules"
# The files the pages load from the npm packages (deploy/console/package-lock.json pins them).
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "qrcode.js": "qrcode-generator/qrcode.js",
}


def build_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    backends = Backends(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await backends.close()

    app = FastAPI(title="pointstream console", lifespan=lifespan, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["number"] = wording.grouped  # as the services write them
    templates.env.filters["day"] = wording.day
    sessions = Sessions(settings.session_secret, settings.session_hours)
    app.state.context = ConsoleContext(
        settings=settings,
        backends=backends,
        sessions=sessions,
        wallets=Wallets(sessions),
        templates=templates,
    )
    for router in (
        pages.router,
        rules_pages.router,
        rule_form_pages.router,
        rule_simulation_pages.router,
        rule_draft_pages.router,
        audit_pages.router,
        program_pages.router,
        rates_pages.router,
        audience_pages.router,
        offer_pages.router,
        challenge_pages.router,
        ladder_pages.router,
        partner_pages.router,
        members_pages.router,
        operations_pages.router,
        wallet.router,
        wallet_sign_in.router,
        wallet_offers.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    async def signed_out(request: Request, _: Exception) -> Response:
        if request.headers.get("HX-Request"):  # a part of a page: say so in place
            return HTMLResponse("Signed out: sign in again.", status_code=401)
        return RedirectResponse("/login", status_code=303)

    async def stale(_: Request, __: Exception) -> Response:
        return HTMLResponse("The form is stale: reload the page.", status_code=403)

    async def not_accepted(request: Request, exc: Exception) -> Response:
        """A form or a link with a value the page cannot take: said on a page, field by
        field, never a stack trace or a JSON error."""
        assert isinstance(exc, RequestValidationError)
        problem = "Not accepted: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('body', 'query', 'path'))}: "
            f"{e['msg']}"
            for e in exc.errors()
        )
        if request.headers.get("HX-Request"):  # a part of a page: say so in place
            return HTMLResponse(f'<p class="error" role="alert">{escape(problem)}</p>', 422)
        context: ConsoleContext = request.app.state.context
        return page(
            context,
            request,
            "down.html",
            session=signed_in(context, request),
            problem=problem,
            back="/",
            back_label="Back to the dashboard",
            status=422,
        )

    async def service_down(request: Request, exc: Exception) -> Response:
        """A page, part or form whose service is down: said in one place, never a stack
        trace. In a wallet, in the member's language; a part of a page (htmx), in place (a
        200, which htmx swaps in); a form: nothing was changed."""
        assert isinstance(exc, ServiceDown)
        context: ConsoleContext = request.app.state.context
        if request.url.path.startswith("/wallet"):
            member = wallet.signed_in_wallet(context, request)
            language = member.language if member else "en"
            return wallet.one_sentence(context, request, language, message="down", status=503)
        if request.headers.get("HX-Request"):
            said = f"The {escape(exc.service)} service is down: try again shortly."
            return HTMLResponse(f'<p class="down" role="alert">{said}</p>')
        return page(
            context,
            request,
            "down.html",
            session=signed_in(context, request),
            service=exc.service,
            read_only=request.method == "GET",
            back="/",
            back_label="Back to the dashboard",
            status=503,
        )

    app.add_exception_handler(SignedOut, signed_out)
    app.add_exception_handler(ServiceDown, service_down)
    app.add_exception_handler(StaleForm, stale)
    app.add_exception_handler(RequestValidationError, not_accepted)

    @app.get("/vendor/{name}")
    async def vendor(name: str) -> Response:
        path = VENDOR.get(name)
        if path is None or not (PACKAGES / path).exists():
            return PlainTextResponse(f"{name}: not installed (make install)", status_code=404)
        return FileResponse(PACKAGES / path, media_type="text/javascript")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
