"""The worker that sends queued email and push deliveries, and retries the failed ones."""

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from services.notifications.adapters.senders import Sender
from services.notifications.domain.notices import Channel
from services.notifications.service_layer.handlers import deliver_due
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.periodic import Periodic

log = logging.getLogger(__name__)


def delivery_worker(
    uow_factory: Callable[[], UnitOfWork],
    senders: Mapping[Channel, Sender],
    *,
    public_url: str,
    max_attempts: int,
    interval: float,
    lease: timedelta = timedelta(minutes=2),
) -> Periodic:
    """Attempts the due deliveries; while there were some, at once again."""

    async def step() -> int:
        return await deliver_due(
            uow=uow_factory,
            senders=senders,
            public_url=public_url,
            max_attempts=max_attempts,
            lease=lease,
        )

    return Periodic("deliveries", step, interval=interval, while_busy=True)
