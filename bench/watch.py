"""Watching one member's balance appear, as a mobile app polls it, at little cost to the machine.

The latency phase keeps a few dozen probes polling every 20 ms. Through httpx that took about a
third of a core on the two-core machine the system under test runs on (its request and response
machinery, per request), so the bench's own client slowed what it measured. A probe here keeps
one kept-alive connection and writes the same ``GET`` by hand: the same request the balance API
answers, a fraction of the client's CPU.
"""

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

import orjson

POLL_SECONDS = 0.02  # 20 ms resolution; faster polling would load the API


class _Connection:
    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._headers = f"Host: {parts.netloc}\r\nX-API-Key: {key}\r\n\r\n".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        """``GET path``: the status and the body; reconnects once if the server had closed
        the kept-alive connection."""
        for attempt in (1, 2):
            try:
                return await self._get(path)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _get(self, path: str) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._headers)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def until_points(url: str, key: str, member: str, written: float, deadline: float) -> float:
    """Milliseconds from ``written`` (a ``time.monotonic()``) until the balance API shows
    points for ``member``; infinity if not by ``deadline``."""
    connection = _Connection(url, key)
    path = f"/v1/members/{member}/balance"
    try:
        while time.monotonic() < deadline:
            try:
                status, body = await connection.get(path)
            except (ConnectionError, asyncio.IncompleteReadError):
                status, body = 0, b""
            if status == 200:
                balance = orjson.loads(body)
                if balance["available"] + balance["pending"] > 0:
                    return (time.monotonic() - written) * 1000
            await asyncio.sleep(POLL_SECONDS)
        return float("inf")
    finally:
        await connection.close()
