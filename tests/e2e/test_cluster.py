"""A cluster that survives losing a broker: three KRaft brokers (``deploy/kafka/cluster.sh``),
topics the services create with three replicas and ``min.insync.replicas`` 2, producers with
acks=all and idempotence. Mid-stream the broker leading the most partitions is killed -9, and
later started again: every balance equals the rules' handbook, one inbox message per
earning, nothing dead-lettered, and no service or till was restarted."""

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.contracts.envelope import CloudEvent
from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.handbook import handbook_expected
from tests.e2e.oracle import stream
from tests.e2e.system import SERVICES, System
from tests.infra import OwnCluster, own_kafka_cluster
from tests.kafka_helpers import read_all

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)  # return windows long past: points available


@pytest.fixture(scope="module")
def cluster() -> Iterator[OwnCluster]:
    with own_kafka_cluster() as started:
        yield started


@pytest.fixture(scope="module")
def kafka_bootstrap(cluster: OwnCluster) -> str:
    """The services of this module talk to the three brokers."""
    return cluster.bootstrap


async def leaders(system: System) -> tuple[Counter[int], dict[str, tuple[int, int]]]:
    """Partitions led per broker port, and per contract topic (replicas, min.insync)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.kafka.bootstrap_servers)
    await admin.start()
    try:
        ports = {b["node_id"]: b["port"] for b in (await admin.describe_cluster())["brokers"]}
        topics = list(system.kafka.topics.all())
        led: Counter[int] = Counter()
        shape: dict[str, tuple[int, int]] = {}
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
        )
        in_sync = _min_in_sync(configs)
        for described in await admin.describe_topics(topics):
            replicas = {len(p["replicas"]) for p in described["partitions"]}
            shape[described["topic"]] = (min(replicas), in_sync[described["topic"]])
            for p in described["partitions"]:
                led[ports[p["leader"]]] += 1
        return led, shape
    finally:
        await admin.close()


def _min_in_sync(responses: list[object]) -> dict[str, int]:
    """``min.insync.replicas`` per topic, from DescribeConfigs responses."""
    found = {}
    for response in responses:
        for resource in response.resources:  # type: ignore[attr-defined]
            _, _, _, topic, entries = resource[:5]
            for entry in entries:
                if entry[0] == "min.insync.replicas":
                    found[topic] = int(entry[1])
    return found


async def till(
    producer: EventProducer, system: System, events: list[CloudEvent], per_send: int = 40
) -> None:
    """A till sending events a few at a time; when a send is not acknowledged it sends the
    same ones again (a copy that did arrive is dropped by its id)."""
    for start in range(0, len(events), per_send):
        batch = [
            OutgoingMessage(
                topic=system.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
            )
            for e in events[start : start + per_send]
        ]
        while True:
            try:
                await producer.send(batch)
                break
            except Exception:  # noqa: BLE001 - the broker is away: the till tries again
                await asyncio.sleep(0.5)
        await asyncio.sleep(0.05)


async def test_losing_the_busiest_broker_mid_stream_loses_and_doubles_nothing(
    system: System, cluster: OwnCluster
) -> None:
    led, shape = await leaders(system)
    assert shape == dict.fromkeys(system.kafka.topics.all(), (3, 2))
    events = stream(
        5,
        members=25,
        purchases=900,
        duplicates=90,
        returns=40,
        when=WHEN,
        prefix="cluster",
    )
    net, earnings = handbook_expected(events)
    pids = {s: system.processes[s].pid for s in SERVICES}
    producer = EventProducer(system.kafka, client_id="cluster-test")
    await producer.start()
    try:
        third = len(events) // 3
        await till(producer, system, events[:third])
        led, _ = await leaders(system)
        port = led.most_common(1)[0][0]
        busiest = cluster.node(port)
        cluster.kill(busiest)  # mid-stream: the services are at work on the first third
        await till(producer, system, events[third : 2 * third])
        led, _ = await leaders(system)
        assert port not in led, "the other brokers lead every partition while it is away"
        cluster.start(busiest)
        await till(producer, system, events[2 * third :])
    finally:
        await producer.stop()

    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
        await system.books_settle(net, timeout=180)
        books = await client.get(
            f"{system.urls['ledger']}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
        )
        told = await system.all_told(earnings)
    assert books.json()["ok"] is True
    assert told == earnings  # one message per earning: none lost, none twice
    assert await read_all(system.kafka, system.kafka.topics.dead_letter) == []
    # Nobody was restarted: the same processes, still running.
    assert {s: p.pid for s, p in system.processes.items()} == pids
    assert all(system.processes[s].poll() is None for s in SERVICES)
    assert sum(net.values()) > 5_000  # real work, not a trivial case
