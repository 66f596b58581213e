"""Notification texts, loaded once and refreshed every few seconds (as the rules' rule book
is), so a chunk of notices never queries them and an admin's edit is in force everywhere
within ``ttl``."""

from collections.abc import Awaitable, Callable

from shared.freshness import Freshness

# (kind, language) -> (title, body)
Templates = dict[tuple[str, str], tuple[str, str]]


class TemplateBook:
    def __init__(self, load: Callable[[], Awaitable[Templates]], *, ttl: float = 5.0) -> None:
        self._load = load
        self._freshness = Freshness(ttl)
        self._texts: Templates = {}

    def invalidate(self) -> None:
        self._freshness.invalidate()

    async def current(self) -> Templates:
        await self._freshness.refresh(self._read)
        return self._texts

    async def _read(self) -> None:
        self._texts = await self._load()
