"""Scale-out: a second replica of each service joins mid-stream, consumes a share of it (its
own metrics say so), and leaves again while the stream goes on (consumer group rebalances both
ways); totals are exact and each member's events keep their order."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.contracts.envelope import CloudEvent
from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import READER_KEY
from tests.e2e.handbook import handbook_expected
from tests.e2e.oracle import stream
from tests.e2e.system import SERVICES, System
from tests.infra import REPO, free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)


def start_replica(system: System, service: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**system.env, f"{service.upper()}_PORT": str(port)}
    with system.logs[service].open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}", "serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


async def consumed(client: httpx.AsyncClient, url: str) -> float:
    """Messages this replica finished, from its own /metrics (0 until it answers)."""
    try:
        text = (await client.get(f"{url}/metrics")).text
    except httpx.TransportError:
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pointstream_messages_consumed_total{")
    )


async def test_replicas_join_and_leave_mid_stream_and_nothing_is_lost_or_reordered(
    system: System,
) -> None:
    events = stream(
        5, members=20, purchases=900, duplicates=60, returns=20, when=WHEN, prefix="scale"
    )
    net, _ = handbook_expected(events)
    producer = EventProducer(system.kafka, client_id="scale-test")
    await producer.start()
    batches = [events[start : start + 50] for start in range(0, len(events), 50)]
    replicas: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    took_part: dict[str, float] = {}

    async def send(batch: list[CloudEvent]) -> None:
        await producer.send(
            [
                OutgoingMessage(
                    topic=system.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
                )
                for e in batch
            ]
        )

    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for batch in batches[:4]:
                await send(batch)
            replicas = {s: start_replica(system, s) for s in SERVICES}

            async def ready() -> bool:
                for service, (process, url) in replicas.items():
                    assert process.poll() is None, f"the {service} replica exited"
                    try:
                        if (await client.get(f"{url}/readyz")).status_code != 200:
                            return False
                    except httpx.TransportError:
                        return False
                return True

            await eventually(ready, bool, timeout=90, interval=0.3, what="replicas ready")
            # The stream goes on while they join the groups; they leave only once each has
            # consumed a share of it (its own /metrics says so); the rest goes without them.
            left = batches[4:]
            while len(took_part) < len(SERVICES):
                assert left, f"replicas that never consumed: {set(SERVICES) - set(took_part)}"
                await send(left.pop(0))
                for service, (process, url) in replicas.items():
                    assert process.poll() is None, f"the {service} replica exited"
                    if service not in took_part and (n := await consumed(client, url)) > 0:
                        took_part[service] = n
                await asyncio.sleep(0.3)
            for process, _ in replicas.values():
                process.terminate()
            for batch in left:
                await send(batch)
                await asyncio.sleep(0.1)
    finally:
        await producer.stop()
        for process, _ in replicas.values():
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=40)
    assert len(left) >= 2, "some of the stream must arrive after the replicas left"
    replicas_list = [process for process, _ in replicas.values()]
    assert all(r.returncode in (0, -15) for r in replicas_list), [
        r.returncode for r in replicas_list
    ]

    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
        await system.books_settle(net, timeout=120)
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
                    e.key for e in events if e.subject == member and e.type == "purchase.completed"
                )
            )
            assert earned == sent, member  # every purchase once, in the order sent
