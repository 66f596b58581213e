"""The one way a service keeps something read from its database in memory for a few seconds
(the rule book, the message templates, the erased members): read again when older than
``ttl``, by one reader at a time, or at once after a local change (:meth:`invalidate`)."""

import asyncio
import time
from collections.abc import Awaitable, Callable


class Freshness:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()
        self._changes = 0  # invalidations so far

    def stale(self) -> bool:
        return time.monotonic() - self._read_at > self.ttl

    def invalidate(self) -> None:
        """Read again before the next use (a change was made here)."""
        self._read_at = float("-inf")
        self._changes += 1

    def read_now(self) -> None:
        """What is held is current (e.g. set in memory, never read)."""
        self._read_at = time.monotonic()

    def again_in(self, seconds: float) -> None:
        """Keep what is held, and try to read again in ``seconds`` (the last read failed)."""
        self._read_at = time.monotonic() - self.ttl + seconds

    async def refresh(self, read: Callable[[], Awaitable[None]]) -> None:
        """``read`` if stale; concurrent callers wait for the one read, not read again."""
        if self.stale():
            async with self._lock:
                if self.stale():
                    changes = self._changes
                    await read()
                    # A change made while reading may not be in what was read: stay stale.
                    if changes == self._changes:
                        self.read_now()
