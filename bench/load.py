"""A retailer's load: many members, purchases of several lines, some returns, some duplicates;
and an observer that sees each purchase's points reach the ledger."""

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from shared.contracts.envelope import event_key

CATEGORIES = ("dairy", "bakery", "produce", "pantry", "drinks", "kitchen", "household")
CHANNELS = ("pos", "pos", "pos", "web", "app")
BASE_RULE = "base-earn"  # the default pack's points per krone: every purchase earns it


@dataclass
class Load:
    """Encoded events, keyed by member, as the ingest API would write them."""

    members: int
    seed: int = 7
    returns: float = 0.03
    duplicates: float = 0.02
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    _n: int = 0
    _recent: list[tuple[bytes, bytes, dict[str, object]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def member(self, n: int) -> str:
        return f"m{n:07d}"

    def purchase(self, member: str) -> tuple[bytes, bytes, dict[str, object]]:
        rnd = self._random
        self._n += 1
        lines = [
            {
                "sku": f"sku-{rnd.randrange(5000)}",
                "category": rnd.choice(CATEGORIES),
                "quantity": rnd.randint(1, 3),
                "unit_price": f"{rnd.randint(5, 400)}.{rnd.randrange(100):02d}",
            }
            for _ in range(rnd.randint(1, 6))
        ]
        total = sum(int(str(ln["quantity"])) * float(str(ln["unit_price"])) for ln in lines)
        event: dict[str, object] = {
            "specversion": "1.0",
            "id": f"bench-{self.run}-{self._n}",
            "source": "pos/bench-store",
            "type": "purchase.completed",
            "time": datetime.now(UTC).isoformat(),
            "subject": member,
            "data": {
                "purchase_id": f"r-{self.run}-{self._n}",
                "channel": rnd.choice(CHANNELS),
                "currency": "DKK",
                "total": f"{total:.2f}",
                "lines": lines,
            },
        }
        return member.encode(), orjson.dumps(event), event

    def stream(self) -> Iterator[tuple[bytes, bytes, str | None]]:
        """(key, value, purchase id or None for a return or a duplicate), forever."""
        rnd = self._random
        while True:
            roll = rnd.random()
            if self._recent and roll < self.duplicates:
                key, value, _ = rnd.choice(self._recent)
                yield key, value, None
            elif self._recent and roll < self.duplicates + self.returns:
                key, _, original = self._recent.pop(rnd.randrange(len(self._recent)))
                data = original["data"]
                assert isinstance(data, dict)
                self._n += 1
                ret = {
                    **{k: original[k] for k in ("specversion", "source", "subject")},
                    "id": f"bench-{self.run}-{self._n}",
                    "type": "purchase.returned",
                    "time": datetime.now(UTC).isoformat(),
                    "data": {
                        "return_id": f"ret-{self.run}-{self._n}",
                        "original_event_id": original["id"],
                        "currency": "DKK",
                        "amount": data["total"],
                    },
                }
                yield key, orjson.dumps(ret), None
            else:
                key, value, event = self.purchase(self.member(rnd.randrange(self.members)))
                self._recent.append((key, value, event))
                if len(self._recent) > 2000:
                    self._recent.pop(0)
                # What the ledger names the purchase by: its source + id (envelope.event_key).
                yield key, value, event_key(str(event["source"]), str(event["id"]))


class Observer:
    """Reads the ledger topic: when each purchase's points were committed to the ledger."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.done: dict[str, float] = {}
        self.arrived: list[str] = []  # done's keys, in the order they came
        self._bootstrap, self._topic = bootstrap, topic
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._bootstrap,
            group_id=f"bench-observer-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=200, max_records=2000)
                now = time.monotonic()
                for records in batch.values():
                    for record in records:
                        event = orjson.loads(record.value)
                        data = event.get("data") or {}
                        if event.get("type") == "points.earned" and (
                            data.get("rule_id") == BASE_RULE
                            or any(p.get("rule_id") == BASE_RULE for p in data.get("parts", ()))
                        ):
                            purchase = data["source_event_id"]
                            if purchase not in self.done:
                                self.done[purchase] = now
                                self.arrived.append(purchase)
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def producer(bootstrap: str) -> AIOKafkaProducer:
    """Configured as the ingest API's producer is."""
    started = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2
    )
    await started.start()
    return started


async def send_many(out: AIOKafkaProducer, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """The load client's cheap path: one batch a partition (the partition the default
    partitioner gives each key, so a member's events stay in order), so that producing the
    load costs the machine little next to the system under test."""
    partitions = sorted(await out.partitions_for(topic))
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
    for key, value in messages:
        by_partition.setdefault(_PARTITIONER(key, partitions, partitions), []).append((key, value))
    acks = []
    for partition, batch_messages in by_partition.items():
        batch = out.create_batch()
        for key, value in batch_messages:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it
                acks.append(await out.send_batch(batch, topic, partition=partition))
                batch = out.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        acks.append(await out.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*acks)


_PARTITIONER = DefaultPartitioner()
