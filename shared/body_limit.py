"""Request bodies over a service's limit are refused with 413 as they arrive: by their
``Content-Length`` before a byte is read, or by the count of what streamed in (chunked
uploads say no length), before parsing and before authentication. Outermost but the request
log, so nothing behind it (the fast paths, the routes) ever holds more than the limit."""

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http import PROBLEM


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self._max:
            await self._refuse(send)
            return
        if declared is None and _has_body(scope):
            # Streamed without a length (chunked): read it all, up to the limit, before
            # anything else looks at the request; then hand it on as it came.
            body = await self._read_up_to_limit(receive)
            if body is None:
                await self._refuse(send)
                await _linger(receive)
                return
            await self._app(scope, _replay(body, receive), send)
            return
        await self._app(scope, receive, send)  # HTTP framing holds it to its Content-Length

    async def _read_up_to_limit(self, receive: Receive) -> bytes | None:
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(parts)  # the client went away: the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body exceeds this service's limit of {self._max} bytes",
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# After a 413 to a streamed body, what the client still sends is read and dropped for a while
# (a "lingering close", as web servers do): closing at once would reset the connection under
# the client's feet, and it would never read the 413. Nothing read is kept.
_LINGER_BYTES = 16 * 1_048_576
_LINGER_SECONDS = 2.0


async def _linger(receive: Receive) -> None:
    dropped = 0
    deadline = asyncio.get_running_loop().time() + _LINGER_SECONDS
    while dropped < _LINGER_BYTES:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return
        try:
            message = await asyncio.wait_for(receive(), timeout=left)
        except TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # what follows the body: a disconnect

    return replayed


def _has_body(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
