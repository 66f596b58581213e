"""``POST /v1/events`` from a till or web shop with an ingest key, taken without FastAPI's
routing and dependency solving: plain ASGI, the same ingest (:func:`accept_events`: the same
validation, the same problem documents, the same answer once Kafka acknowledged).

A request without a valid ingest key, or with a query string, goes on to the route, which
refuses it as every route does. It sits inside the request log: every request is counted and
timed the same way.
"""

from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import SCOPE_INGEST, Authenticator
from shared.callers import scope_caller
from shared.http import problem_for

Accept = Callable[[bytes, list[tuple[str, str]]], Awaitable[Response]]
_ROUTE = SimpleNamespace(path="/v1/events")  # the request log's label


class IngestFastPath:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        accept: Accept,
    ) -> None:
        self._app = app
        self._auth = authenticator
        self._accept = accept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._takes(scope):
            await self._app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the caller left: nothing was accepted
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            response = await self._accept(bytes(body), headers)
        except Exception as exc:  # noqa: BLE001 - answered as the app answers it (e.g. 503)
            handlers = scope["app"].exception_handlers  # the app's own answers
            response = await problem_for(exc, scope, handlers)
        scope["route"] = _ROUTE
        await response(scope, receive, send)

    def _takes(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["query_string"]:
            return False
        if scope["path"] != "/v1/events":
            return False
        principal = scope_caller(self._auth, scope)
        return principal is not None and principal.may(SCOPE_INGEST)
