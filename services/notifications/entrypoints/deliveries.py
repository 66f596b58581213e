"""The worker that sends queued email and push deliveries, and retries the failed ones."""

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from services.notifications.adapters.senders import Sender
from services.notifications.domain.notices import Channel
from services.notifications.service_layer.handlers import deliver_due
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.lifecycle import wait_for_event

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        senders: Mapping[Channel, Sender],
        *,
        public_url: str,
        max_attempts: int,
        interval: float,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._uow_factory, self._senders = uow_factory, senders
        self._public_url, self._max_attempts = public_url, max_attempts
        self._interval, self._lease = interval, lease
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            attempted = await deliver_due(
                uow=self._uow_factory,
                senders=self._senders,
                public_url=self._public_url,
                max_attempts=self._max_attempts,
                lease=self._lease,
            )
            if not attempted:
                await wait_for_event(self._stopping, self._interval)
