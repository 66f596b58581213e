"""How the command line talks to the running services: their URLs, the admin key, and one
request that turns a refusal or an unreachable service into one clear line on stderr."""

import os
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import typer
from rich.console import Console

out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error (a file path, a line) stays on one line

SERVICES = ("rules", "ledger", "notifications")
DEFAULT_PORTS = {"rules": 8001, "ledger": 8002, "notifications": 8003}


def url(service: str) -> str:
    default = f"http://127.0.0.1:{DEFAULT_PORTS[service]}"
    return os.environ.get(f"POINTSTREAM_{service.upper()}_URL", default).rstrip("/")


def client() -> httpx.Client:
    key = os.environ.get("POINTSTREAM_API_KEY", "dev-key")
    return httpx.Client(headers={"X-API-Key": key}, timeout=30)


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def call(method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; a refusal or an unreachable service is a clear error, not a traceback."""
    target = f"{url(service)}{path}"
    try:
        with client() as http:
            response = http.request(method, target, **kwargs)
    except httpx.TransportError as exc:
        fail(f"{service} is not reachable at {url(service)} ({exc.__class__.__name__})")
    if response.status_code >= 400:
        try:
            problem = response.json()
            detail = problem.get("detail") or problem.get("title")
            named = [_named(e) for e in problem.get("errors") or [] if isinstance(e, dict)]
            if named:  # each field at fault, and what is wrong with it
                detail = f"{detail}: {'; '.join(named[:20])}"
        except (ValueError, AttributeError):  # not a problem document
            detail = response.text[:300]
        fail(f"{service} answered {response.status_code} to {method} {path}: {detail}")
    return response


def _named(error: dict[str, Any]) -> str:
    if "errors" in error:  # a batch's event: its index, then its own errors
        return "; ".join(f"[{error.get('index')}] {_named(e)}" for e in error["errors"])
    where = ".".join(str(p) for p in error.get("loc") or [] if p != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def path_segment(value: str) -> str:
    """``value`` as one segment of a URL path: a member id such as ``alice/../bob`` names no
    other path."""
    return quote(value, safe="")
