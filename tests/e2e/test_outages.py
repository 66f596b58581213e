"""Outages: Kafka stopped for tens of seconds mid-stream, then PostgreSQL. The services say they
are not ready, keep their data, recover without a restart, and the final totals are exact."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.apps import POS_KEY, READER_KEY
from tests.conftest import Databases
from tests.e2e.conftest import SERVICES, System
from tests.e2e.handbook import handbook_expected
from tests.e2e.oracle import stream
from tests.infra import OWN
from tests.polling import eventually

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)


async def readiness(system: System) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        found = {}
        for service in SERVICES:
            r = await client.get(f"{system.urls[service]}/readyz")
            found[service] = set(r.json().get("failed", {})) if r.status_code == 503 else set()
        return found


async def lifetimes(system: System, members: list[str]) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": READER_KEY}) as client:
        return {
            m: (await client.get(f"{system.urls['ledger']}/v1/members/{m}/balance")).json()[
                "lifetime_earned"
            ]
            for m in members
        }


async def test_kafka_then_postgres_go_away_and_come_back_and_nothing_is_lost(
    system: System, kafka_bootstrap: str, databases: Databases
) -> None:
    broker = OWN.get(kafka_bootstrap)
    cluster = OWN.get(databases.server_url)
    if broker is None or cluster is None:
        pytest.skip("outages need a broker and a cluster this session started itself")
    events = stream(
        3, members=12, purchases=300, duplicates=30, returns=12, when=WHEN, prefix="outage"
    )
    net, _ = handbook_expected(events)
    members = sorted(net)
    pids = {s: p.pid for s, p in system.processes.items()}
    first, second, third = events[:100], events[100:200], events[200:]

    await system.send(first)
    partial, _ = handbook_expected(first)
    await eventually(
        lambda: lifetimes(system, sorted(partial)),
        lambda got: got == partial,
        timeout=60,
        what="the first part",
    )

    broker.stop()  # -- Kafka goes away for ~20 s ----------------------------------------
    try:
        down = await eventually(
            lambda: readiness(system),
            lambda r: all("kafka" in failed for failed in r.values()),
            timeout=30,
            what="every service not ready without Kafka",
        )
        assert all("database" not in failed for failed in down.values())
        async with httpx.AsyncClient(timeout=30) as client:
            refused = await client.post(
                f"{system.urls['rules']}/v1/events",
                json=second[0].model_dump(mode="json"),
                headers={"X-API-Key": POS_KEY},
            )
        assert refused.status_code == 503  # said clearly, not a bare 500 or a hang
        await asyncio.sleep(15)  # an outage of tens of seconds, on purpose
    finally:
        broker.start()
    await eventually(
        lambda: readiness(system),
        lambda r: not any(r.values()),
        timeout=90,
        what="ready again after Kafka came back",
    )
    await system.send(second)

    cluster.stop()  # -- PostgreSQL goes away while events keep arriving -----------------
    try:
        down = await eventually(
            lambda: readiness(system),
            lambda r: all("database" in failed for failed in r.values()),
            timeout=30,
            what="every service not ready without PostgreSQL",
        )
        await system.send(third)  # Kafka keeps them until the databases are back
        await asyncio.sleep(10)
    finally:
        cluster.start()
    await eventually(
        lambda: lifetimes(system, members),
        lambda got: got == net,
        timeout=120,
        what="every member's points exact after both outages",
    )
    assert {s: p.pid for s, p in system.processes.items()} == pids  # no restarts
