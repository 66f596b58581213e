"""Background workers (consumers, relays) that live as long as a service's HTTP app."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from shared.retry import Backoff, Stopped, retrying, wait_for_event

log = logging.getLogger(__name__)
__all__ = ["Worker", "running", "wait_for_event"]


class Worker(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


async def _supervise(worker: Worker, stopping: asyncio.Event) -> None:
    """Run the worker; if it crashes (e.g. Kafka is down at start), restart it with backoff."""
    what = f"worker {getattr(worker, 'name', type(worker).__name__)} crashed"
    with suppress(Stopped):
        await retrying(worker.run, backoff=Backoff(1.0, 10.0), stopping=stopping, what=what)


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
