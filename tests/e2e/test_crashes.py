"""Exactly once under crashes: a stream of purchases, duplicates and returns flows while the
rules, ledger and notification processes are killed (-9) and restarted; at the end every
member's points equal what the rules define, and nothing was counted or told twice."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.kafka.producer import EventProducer, OutgoingMessage
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.handbook import handbook_expected
from tests.e2e.oracle import stream
from tests.e2e.system import SERVICES, System
from tests.kafka_helpers import read_all

pytestmark = pytest.mark.e2e
MEMBERS, PURCHASES, DUPLICATES, RETURNS, CRASHES = 30, 1200, 150, 60, 4
WHEN = datetime.now(UTC) - timedelta(days=20)  # return windows long past: points available


async def crash_now_and_then(system: System, rng: random.Random) -> None:
    for n in range(CRASHES):
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        victim = SERVICES[n % len(SERVICES)]
        system.kill(victim)
        await asyncio.sleep(0.3)
        system.spawn(victim)


async def test_no_point_is_lost_or_doubled_when_services_crash_mid_stream(system: System) -> None:
    events = stream(
        7, members=MEMBERS, purchases=PURCHASES, duplicates=DUPLICATES, returns=RETURNS, when=WHEN
    )
    net, earnings = handbook_expected(events)
    producer = EventProducer(system.kafka, client_id="crash-test")
    await producer.start()
    killer = asyncio.create_task(crash_now_and_then(system, random.Random(11)))
    try:
        for start in range(0, len(events), 60):
            await producer.send(
                [
                    OutgoingMessage(
                        topic=system.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
                    )
                    for e in events[start : start + 60]
                ]
            )
            await asyncio.sleep(0.2)
        await killer
    finally:
        await producer.stop()
    await system.wait_ready()

    reader = {"X-API-Key": READER_KEY}
    async with httpx.AsyncClient(timeout=10, headers=reader) as client:
        await system.books_settle(net, timeout=180)
        report = (
            await client.get(
                f"{system.urls['ledger']}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
            )
        ).json()
        told = await system.all_told(earnings)
    assert report["ok"] is True
    assert await read_all(system.kafka, system.kafka.topics.dead_letter) == []  # all legit
    assert told == earnings  # one message per earning: none lost, none twice
    assert sum(net.values()) > 10_000  # the stream was real work, not a trivial case
