"""Scale-out: a second replica of each service joins mid-stream and leaves again (consumer
group rebalances both ways); totals are exact and each member's events keep their order."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import READER_KEY
from tests.e2e.conftest import SERVICES, System
from tests.e2e.oracle import expected, stream
from tests.infra import REPO, free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)


def start_replica(system: System, service: str) -> subprocess.Popen[bytes]:
    env = {**system.env, f"{service.upper()}_PORT": str(free_port())}
    with system.logs[service].open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", f"services.{service}", "serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def test_replicas_join_and_leave_mid_stream_and_nothing_is_lost_or_reordered(
    system: System,
) -> None:
    events = stream(
        5, members=20, purchases=900, duplicates=60, returns=20, when=WHEN, prefix="scale"
    )
    net, _ = await expected(events)
    producer = EventProducer(system.kafka, client_id="scale-test")
    await producer.start()
    replicas: list[subprocess.Popen[bytes]] = []
    try:
        for n, start in enumerate(range(0, len(events), 50)):
            await producer.send(
                [
                    OutgoingMessage(
                        topic=system.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
                    )
                    for e in events[start : start + 50]
                ]
            )
            if n == 4:
                replicas = [start_replica(system, s) for s in SERVICES]
            if n == 12:
                for replica in replicas:
                    replica.terminate()
            await asyncio.sleep(0.3)
    finally:
        await producer.stop()
        for replica in replicas:
            if replica.poll() is None:
                replica.terminate()
            replica.wait(timeout=40)
    assert all(r.returncode in (0, -15) for r in replicas), [r.returncode for r in replicas]

    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:

        async def lifetimes() -> dict[str, int]:
            return {
                m: (await client.get(f"{system.urls['ledger']}/v1/members/{m}/balance")).json()[
                    "lifetime_earned"
                ]
                for m in net
            }

        await eventually(
            lifetimes,
            lambda got: got == net,
            timeout=120,
            interval=1,
            what="every member's points exact",
        )
        for member in net:
            page = (
                await client.get(f"{system.urls['ledger']}/v1/members/{member}/entries?limit=200")
            ).json()
            earned = [
                e["source_event_id"]
                for e in reversed(page["entries"])
                if e["kind"] == "earn" and e["rule_id"] == "base-earn"
            ]
            sent = list(
                dict.fromkeys(
                    e.id for e in events if e.subject == member and e.type == "purchase.completed"
                )
            )
            assert earned == sent, member  # every purchase once, in the order sent
