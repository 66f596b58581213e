"""The notification service's retention: inbox messages and delivery logs hold members'
personal data, so those older than their retention are deleted, once an hour."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.periodic import Periodic

log = logging.getLogger(__name__)


async def forget_old(
    uow_factory: Callable[[], UnitOfWork],
    *,
    keep_messages: timedelta,
    keep_deliveries: timedelta,
    now: datetime | None = None,
) -> int:
    """Delete inbox messages older than ``keep_messages`` and finished deliveries older than
    ``keep_deliveries`` (queued and failed ones wait for their next attempt); how many rows."""
    now = now or datetime.now(UTC)
    async with uow_factory() as uow:
        gone = await uow.inbox.forget_older(now - keep_messages, now - keep_deliveries)
        await uow.commit()
    return gone


def housekeeping(
    uow_factory: Callable[[], UnitOfWork],
    *,
    keep_messages: timedelta,
    keep_deliveries: timedelta,
    interval: float = 3600,
) -> Periodic:
    async def step() -> int:
        gone = await forget_old(
            uow_factory, keep_messages=keep_messages, keep_deliveries=keep_deliveries
        )
        if gone:
            log.info("old messages and delivery logs deleted", extra={"rows": gone})
        return gone

    return Periodic("housekeeping", step, interval=interval)
