"""``GET /v1/members/{member_id}/balance``, the read a mobile app makes most, answered without
FastAPI's routing and dependency solving: plain ASGI, the caller checked as the route checks
it, one prepared statement.

Only what the route would answer 200 is answered here. Anything else (no or a wrong
credential, another member's token, a malformed id, a query string, a database error) goes on
to the route, which answers with the same problem documents as every other route. It sits
inside the request log, so every read is counted and timed the same way.
"""

import json
import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import SCOPE_MEMBERS_READ, Authenticator
from shared.callers import scope_caller
from shared.contracts.envelope import MEMBER_ID, MEMBER_ID_MAX

_PATH = re.compile(rf"/v1/members/({MEMBER_ID})/balance")
_ROUTE = SimpleNamespace(path="/v1/members/{member_id}/balance")  # the request log's label
_HEADERS = [(b"content-type", b"application/json")]


class BalanceFastPath:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        read: Callable[[str], Awaitable[dict[str, Any]]],  # as the route reads it
    ) -> None:
        self._app = app
        self._auth = authenticator
        self._read = read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        member = self._allowed_read(scope)
        if member is not None:
            try:
                balance = await self._read(member)
            except Exception:  # noqa: BLE001 - the route answers it, with its problem document
                balance = None
            if balance is not None:
                scope["route"] = _ROUTE
                body = json.dumps(balance, separators=(",", ":")).encode()
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self._app(scope, receive, send)

    def _allowed_read(self, scope: Scope) -> str | None:
        """The member whose balance the caller may read here, or None: the route decides."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return None
        found = _PATH.fullmatch(scope["path"])
        if found is None:
            return None
        member = found.group(1)
        if len(member) > MEMBER_ID_MAX:
            return None
        principal = scope_caller(self._auth, scope)
        if principal is None:
            return None
        if principal.member_id is not None:
            return member if principal.member_id == member else None
        return member if principal.may(SCOPE_MEMBERS_READ) else None
