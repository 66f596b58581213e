"""How pointstream waits and tries again: one backoff policy (doubling, capped) and one retry
loop, for everything that retries in memory (start-up, workers, the outbox relay, a chunk,
a dead letter, a use case that lost a race). A delivery's backoff is stored with it instead
(``services.notifications.domain.deliveries``): it must outlive the process."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass; True when it was set."""
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
    return event.is_set()


@dataclass(frozen=True, slots=True)
class Backoff:
    """``first`` seconds after the first failure, doubling after each, never over ``most``."""

    first: float
    most: float

    def delay(self, failures: int) -> float:
        return float(min(self.most, self.first * 2 ** max(0, failures - 1)))

    async def pause(self, failures: int, stopping: asyncio.Event | None = None) -> bool:
        """Wait before the next attempt; True when ``stopping`` was set meanwhile."""
        if stopping is None:
            await asyncio.sleep(self.delay(failures))
            return False
        return await wait_for_event(stopping, self.delay(failures))


class Stopped(Exception):
    """Asked to stop before the call succeeded."""


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff,
    on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    attempts: int | None = None,
    stopping: asyncio.Event | None = None,
    what: str = "",
) -> T:
    """``call`` until it succeeds: its result. A failure of a kind in ``on`` is retried after
    the backoff (logged as a warning when ``what`` says what failed); after ``attempts``
    failures the last is raised. :class:`Stopped` when ``stopping`` is set first."""
    failures = 0
    while stopping is None or not stopping.is_set():
        try:
            return await call()
        except on:
            failures += 1
            if attempts is not None and failures >= attempts:
                raise
            if what:
                log.warning("%s; retrying", what, exc_info=True, extra={"failures": failures})
            if await backoff.pause(failures, stopping):
                break
    raise Stopped
