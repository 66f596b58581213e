"""Background workers (consumers, relays) that live as long as a service's HTTP app."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Protocol

log = logging.getLogger(__name__)


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass; True when it was set."""
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
    return event.is_set()


class Worker(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


async def _supervise(worker: Worker, stopping: asyncio.Event) -> None:
    """Run the worker; if it crashes (e.g. Kafka is down at start), restart it with backoff."""
    failures = 0
    while not stopping.is_set():
        try:
            await worker.run()
            return
        except Exception:
            failures += 1
            log.exception("worker crashed; restarting", extra={"worker": type(worker).__name__})
            await wait_for_event(stopping, min(10.0, 0.5 * 2**failures))


@asynccontextmanager
async def running(workers: Sequence[Worker], *, grace: float = 30.0) -> AsyncIterator[None]:
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(_supervise(w, stopping)) for w in workers]
    try:
        yield
    finally:
        stopping.set()
        for worker in workers:
            worker.stop()
        if tasks:  # an API-only replica runs none
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
