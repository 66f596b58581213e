"""Notification texts, loaded once and refreshed every few seconds (as the rules' rule book
is), so a chunk of notices never queries them and an admin's edit is in force everywhere
within ``ttl``."""

import asyncio
import time
from collections.abc import Awaitable, Callable

# (kind, language) -> (title, body)
Templates = dict[tuple[str, str], tuple[str, str]]


class TemplateBook:
    def __init__(self, load: Callable[[], Awaitable[Templates]], *, ttl: float = 5.0) -> None:
        self._load = load
        self._ttl = ttl
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        self._texts: Templates = {}

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def current(self) -> Templates:
        if time.monotonic() - self._loaded_at > self._ttl:
            async with self._lock:
                if time.monotonic() - self._loaded_at > self._ttl:
                    self._texts = await self._load()
                    self._loaded_at = time.monotonic()
        return self._texts
