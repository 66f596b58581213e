"""The one shape of a scheduled worker: a step now, then again every ``interval`` seconds,
until the service stops (the supervisor in ``shared.lifecycle`` restarts a crashed one)."""

import asyncio
from collections.abc import Awaitable, Callable

from shared.retry import wait_for_event


class Periodic:
    """``step`` answers how much it did. With ``while_busy`` a step that did something is
    followed at once by the next (a queue being drained); otherwise the next waits."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        *,
        interval: float,
        while_busy: bool = False,
    ) -> None:
        self.name = name
        self._step, self._interval, self._while_busy = step, interval, while_busy
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            done = await self._step()
            if not (done and self._while_busy):
                await wait_for_event(self._stopping, self._interval)

    def __repr__(self) -> str:
        return f"Periodic({self.name!r})"
