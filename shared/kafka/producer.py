"""An idempotent producer: acks from all in-sync replicas, no duplicates on retry."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaClient, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError

from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class ProducerNotStarted(RuntimeError):
    pass


class EventProducer:
    def __init__(self, settings: KafkaSettings, *, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._started: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the client is made here, not in __init__.
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            request_timeout_ms=15_000,
            max_batch_size=self._settings.producer_batch_bytes,
            compression_type=None
            if self._settings.compression_type == "none"
            else self._settings.compression_type,
        )
        try:
            await producer.start()
        except BaseException:
            # A start that failed (Kafka away) leaves the client's connections and tasks
            # behind: closed here, or every retry of a starting service leaked one.
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._started = producer

    async def stop(self, *, grace: float = 10.0) -> None:
        """Flush and close; give up after ``grace`` seconds (e.g. the broker is down)."""
        if self._started is not None:
            producer, self._started = self._started, None
            try:
                await asyncio.wait_for(producer.stop(), timeout=grace)
            except TimeoutError:
                log.warning("the producer did not flush within %s s; closing anyway", grace)

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._started is None:
            raise ProducerNotStarted("the Kafka producer is not started")
        return self._started

    async def send(
        self, messages: Sequence[OutgoingMessage], *, ack_within: float | None = None
    ) -> None:
        """Send all messages and return once Kafka acknowledged every one of them. Past
        ``ack_within`` seconds, raise KafkaTimeoutError (the producer may still deliver them
        later: receivers de-duplicate by event id)."""

        try:
            async with asyncio.timeout(ack_within):  # no task per call, unlike wait_for
                pending = [
                    await self._producer.send(m.topic, m.value, key=m.key, headers=list(m.headers))
                    for m in messages
                ]
                await (pending[0] if len(pending) == 1 else asyncio.gather(*pending))
        except TimeoutError as exc:
            raise KafkaTimeoutError(f"Kafka did not acknowledge within {ack_within} s") from exc

    async def ping(self) -> None:
        """Raise unless a broker answers a metadata request (before start, too)."""
        if self._started is not None:
            await asyncio.wait_for(self._started.client.fetch_all_metadata(), timeout=3)
            return
        client = AIOKafkaClient(
            bootstrap_servers=self._settings.bootstrap_servers, request_timeout_ms=3000
        )
        try:
            await asyncio.wait_for(client.bootstrap(), timeout=3)
        finally:
            await client.close()
