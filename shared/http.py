"""HTTP plumbing every service's app uses: problem+json errors (health, readiness, metrics
and the access log: :mod:`shared.operations_http`; who may call what: :mod:`shared.callers`)."""

import inspect
import logging
import re
from collections.abc import Mapping
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from shared.auth import AuthError
from shared.erasure.model import MemberWasErased
from shared.kafka.producer import ProducerNotStarted
from shared.pagination import InvalidCursor

log = logging.getLogger(__name__)
access = logging.getLogger("pointstream.access")
PROBLEM = "application/problem+json"


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class Problem(BaseModel):
    """An error, as RFC 9457 writes it; some add what was wrong field by field (``errors``)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str


_PROBLEM_SCHEMA = Problem.model_json_schema()

# The errors any route may answer, documented on every operation as problem documents (a route
# documents its own besides: 409, 410 ...). FastAPI's default 422 schema is replaced by it.
_ANY_ROUTE = {
    400: "the body or a parameter cannot be read",
    401: "no or a wrong API key or member token",
    403: "the key's scopes or the token's member do not reach this",
    404: "nothing there",
    410: "the member was erased: nothing is kept or accepted for them any more",
    405: "another method (the Allow header names those there are)",
    413: "the body is over this service's limit",
    422: "the request does not match the schema, or breaks a rule it states",
    429: "too many at once: retry after Retry-After seconds",
    500: "an unexpected error; it was logged",
    503: "starting, or Kafka or the database unreachable: retry shortly",
}


def problem_responses(statuses: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": description,
            "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}},
        }
        for status, description in statuses.items()
    }


ERROR_RESPONSES = problem_responses(_ANY_ROUTE)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:  # RFC 9110: Allow names every method the path has
            headers = {**(headers or {}), "Allow": ", ".join(_methods_of(request))}
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), headers=headers)

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return problem(
            422, "Invalid request", "the request does not match the schema", errors=errors
        )

    async def on_auth(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        return problem(exc.status, _title(exc.status), exc.detail)

    async def on_erased(_: Request, exc: Exception) -> Response:
        return problem(410, "Member erased", str(exc))

    async def on_bad_cursor(_: Request, exc: Exception) -> Response:
        return problem(400, "Bad request", str(exc))

    async def on_not_started(_: Request, exc: Exception) -> Response:
        return problem(503, "Unavailable", "the service is starting; retry shortly")

    async def on_kafka_down(_: Request, exc: Exception) -> Response:
        log.warning("Kafka unavailable", exc_info=exc)
        return problem(
            503,
            "Unavailable",
            "Kafka did not acknowledge; nothing was accepted, retry shortly",
            headers={"Retry-After": "5"},
        )

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        if (reason := _data_exception(exc)) is not None:
            return problem(
                422, "Invalid request", f"a value in the request cannot be stored: {reason}"
            )
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred; it was logged")

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(AuthError, on_auth)
    app.add_exception_handler(ProducerNotStarted, on_not_started)
    app.add_exception_handler(InvalidCursor, on_bad_cursor)
    app.add_exception_handler(MemberWasErased, on_erased)
    app.add_exception_handler(KafkaError, on_kafka_down)

    async def on_stored_value(request: Request, exc: Exception) -> Response:
        """Handled here, not as any Exception: the server then logs no traceback for a 422."""
        return await on_unexpected(request, exc)

    app.add_exception_handler(DBAPIError, on_stored_value)
    app.add_exception_handler(UnicodeEncodeError, on_stored_value)
    app.add_exception_handler(Exception, on_unexpected)


def _methods_of(request: Request) -> list[str]:
    """Every method the routes of this request's path answer (Starlette names only those of
    the first route that matched the path, and a path may have several routes)."""
    path = request.url.path
    found: set[str] = set()
    for route in request.app.router.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            found |= set(getattr(route, "methods", None) or ())
    return sorted(found)


def _data_exception(exc: BaseException | None) -> str | None:
    """Why the database refused a value the request carried (SQLSTATE class 22, "data
    exception": a NUL character, a number out of range ...), or text no database can encode
    (JSON may escape half a surrogate pair); None for any other failure."""
    for _ in range(10):
        if exc is None:
            return None
        if isinstance(exc, UnicodeEncodeError):
            return "text with an unpaired surrogate"
        if str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)).startswith("22"):
            first = str(exc).splitlines()[0] if str(exc) else "invalid value"
            # the database's words, without the driver's class names
            return re.sub(r"^(\([\w.]+\) )?(<class '[\w.]+'>: )?", "", first)[:200]
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


def _title(status: int) -> str:
    return {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        410: "Gone",
        413: "Payload too large",
        422: "Invalid request",
        429: "Too many requests",
        503: "Unavailable",
    }.get(status, "Error")


async def problem_for(exc: Exception, scope: Scope, handlers: Mapping[Any, Any]) -> Response:
    """The app's own answer to an exception raised in a fast path (outside its routing)."""
    for cls in type(exc).__mro__:
        if (handler := handlers.get(cls)) is not None:
            answer = handler(Request(scope), exc)
            response: Response = await answer if inspect.isawaitable(answer) else answer
            return response
    raise exc


__all__ = ["HTTPException", "problem", "problem_for"]
