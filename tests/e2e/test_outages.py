"""Hard outages: the Kafka broker, then the PostgreSQL cluster (fsync on, as in production)
are killed -9 while events flow, and restarted after tens of seconds. The services say they
are not ready, keep running, recover without a restart, and the final books are exact.

The test starts a broker and a cluster of its own for this, whatever the rest of the suite
uses, so it runs wherever the suite runs."""

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaError

from shared.contracts.envelope import CloudEvent
from tests.apps import ADMIN_KEY, POS_KEY
from tests.conftest import Databases
from tests.e2e.handbook import handbook_expected, settled
from tests.e2e.oracle import stream
from tests.e2e.system import SERVICES, System
from tests.infra import OWN, REPO, own_kafka, own_postgres
from tests.kafka_helpers import read_all
from tests.polling import eventually

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)


@pytest.fixture(scope="module")
def kafka_bootstrap() -> Iterator[str]:
    with own_kafka() as servers:
        yield servers


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    try:
        with own_postgres("test-postgres-outage", fsync=True) as url:
            yield Databases(url)
    finally:
        shutil.rmtree(REPO / "var" / "test-postgres-outage", ignore_errors=True)


async def readiness(system: System) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        found = {}
        for service in SERVICES:
            r = await client.get(f"{system.urls[service]}/readyz")
            found[service] = set(r.json().get("failed", {})) if r.status_code == 503 else set()
        return found


async def till(system: System, events: list[CloudEvent], per_send: int = 20) -> None:
    """A till sending events a few at a time; when Kafka does not answer, it sends the same
    ones again until it does (a copy that did arrive is dropped by its id)."""
    for start in range(0, len(events), per_send):
        while True:
            try:
                await system.send(events[start : start + per_send])
                break
            except (KafkaError, TimeoutError, OSError):
                await asyncio.sleep(0.5)


async def started_on(system: System, done: dict[str, int]) -> dict[str, dict[str, int]]:
    """The books as soon as they show more than ``done``: the services are at work."""
    return await eventually(
        lambda: system.balances(sorted(done)),
        lambda got: sum(b.get("lifetime_earned", 0) for b in got.values()) > sum(done.values()),
        timeout=30,
        interval=0.02,
        what="the services at work on the next part",
    )


def _done(books: dict[str, dict[str, int]], due: dict[str, int]) -> str:
    """How far the books were, in points, against what was due."""
    booked = sum(b.get("lifetime_earned", 0) for b in books.values())
    return f"{booked} of {sum(due.values())} points"


async def test_kafka_then_postgres_killed_mid_stream_lose_and_double_nothing(
    system: System, kafka_bootstrap: str, databases: Databases
) -> None:
    broker, cluster = OWN[kafka_bootstrap], OWN[databases.server_url]
    events = stream(
        3, members=12, purchases=1200, duplicates=60, returns=30, when=WHEN, prefix="outage"
    )
    net, earnings = handbook_expected(events)
    members = sorted(net)
    pids = {s: p.pid for s, p in system.processes.items()}
    first, second, third = events[:150], events[150:700], events[700:]

    await system.send(first)
    partial, _ = handbook_expected(first)
    await eventually(
        lambda: system.balances(sorted(partial)),
        lambda got: got == settled(partial),
        timeout=60,
        what="the first part",
    )

    sending = asyncio.create_task(till(system, second))
    await started_on(system, partial)
    broker.kill()  # -- the broker dies while the tills send and the services work ---------
    before, _ = handbook_expected(first + second)
    in_flight = await system.balances(sorted(before))
    print("books when the broker died:", _done(in_flight, before))
    assert in_flight != settled(before), "the second part was done before the broker died"
    assert not sending.done(), "the tills had sent everything before the broker died"
    try:
        down = await eventually(
            lambda: readiness(system),
            lambda r: all("kafka" in failed for failed in r.values()),
            timeout=60,
            what="every service not ready without Kafka",
        )
        assert all("database" not in failed for failed in down.values())
        async with httpx.AsyncClient(timeout=30) as client:
            refused = await client.post(
                f"{system.urls['rules']}/v1/events",
                json=third[0].model_dump(mode="json"),
                headers={"X-API-Key": POS_KEY},
            )
        assert refused.status_code == 503  # said clearly, not a bare 500 or a hang
        await asyncio.sleep(15)  # an outage of tens of seconds, on purpose
    finally:
        broker.start()
    await eventually(
        lambda: readiness(system),
        lambda r: not any(r.values()),
        timeout=120,
        what="ready again after Kafka came back",
    )
    await sending  # the tills sent what the dead broker had refused

    sending = asyncio.create_task(till(system, third))
    in_flight = await started_on(system, before)
    cluster.kill()  # -- the database dies while the tills send and the services write ----
    assert not sending.done(), "the tills had sent everything before the cluster died"
    try:
        await eventually(
            lambda: readiness(system),
            lambda r: all("database" in failed for failed in r.values()),
            timeout=30,
            what="every service not ready without PostgreSQL",
        )
        await asyncio.sleep(10)  # Kafka keeps the events until the databases are back
        print("books when the cluster died:", _done(in_flight, net))
        assert in_flight != settled(net), "the third part was done before the cluster died"
    finally:
        cluster.start()  # crash recovery from the write-ahead log
    await sending
    await eventually(
        lambda: system.balances(members),
        lambda got: got == settled(net),
        timeout=180,
        what="every member's balance exact after both outages",
    )
    told = await system.all_told(earnings)
    assert told == earnings
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": ADMIN_KEY}) as client:
        report = (await client.get(f"{system.urls['ledger']}/v1/admin/reconciliation")).json()
    assert report["ok"], report["mismatches"]
    assert await read_all(system.kafka, system.kafka.topics.dead_letter) == []
    assert {s: p.pid for s, p in system.processes.items()} == pids  # no restarts
