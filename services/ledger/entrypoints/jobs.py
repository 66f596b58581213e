"""The ledger's scheduled work: mature pending points, expire old lots, release lapsed holds.

Runs as a worker inside every replica and as ``python -m services.ledger jobs``. Replicas may
overlap: each member's step runs under that member's balance lock and checks what is still due.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.due_work import members_with_due_work
from services.ledger.domain.commands import RunDueWork
from services.ledger.domain.entries import Operation
from services.ledger.domain.model import Policy
from services.ledger.service_layer.handlers import run_due_work, with_retries
from services.ledger.service_layer.unit_of_work import UnitOfWork
from shared.faults import fault_point
from shared.periodic import Periodic

log = logging.getLogger(__name__)


async def run_due_jobs(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], UnitOfWork],
    policy: Policy,
    *,
    now: datetime | None = None,
    batch: int = 200,
) -> int:
    """Do everything due at ``now``; the number of ledger operations it posted."""
    now = now or datetime.now(UTC)
    posted, after = 0, ""
    while True:
        async with sessions() as session:
            members = await members_with_due_work(session, now, after=after, limit=batch)
        for member_id in members:
            command = RunDueWork(member_id)

            async def step(command: RunDueWork = command) -> list[Operation]:
                return await run_due_work(command, uow=uow_factory(), policy=policy, now=now)

            posted += len(await with_retries(step))
            fault_point("after-job-step")  # this member's due work is committed, the rest not
        if len(members) < batch:
            return posted
        after = members[-1]


def ledger_jobs(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], UnitOfWork],
    policy: Policy,
    *,
    interval: float,
    on_posted: Callable[[], None],
    also: Sequence[Callable[[], Awaitable[int]]] = (),
) -> Periodic:
    """Due work (maturing, expiring, released holds), then ``also`` (vouchers, reminders)."""

    async def step() -> int:
        posted = await run_due_jobs(sessions, uow_factory, policy)
        for more in also:
            posted += await more()
        if posted:
            log.info("scheduled ledger work done", extra={"operations": posted})
            on_posted()
        return posted

    return Periodic("ledger jobs", step, interval=interval)
