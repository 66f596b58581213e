"""The two timed phases of `make bench` against the running system: sustained throughput
(purchases kept waiting on the input topic) and latency at a fixed rate (probe purchases timed
until the balance API shows their points)."""

import asyncio
import statistics
import time
import uuid
from collections import Counter
from typing import Any

from bench.load import Load, Observer, producer, send_many
from bench.system import API_KEY, Services
from bench.watch import until_points
from shared.contracts.topics import Topics


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def throughput(
    services: Services, load: Load, observer: Observer, seconds: int, backlog: int
) -> dict[str, Any]:
    """Keep the input topic ``backlog`` purchases ahead of the ledger for ``seconds``; then
    let it drain. Per-second rates of purchases whose points the ledger committed."""
    topic = Topics.with_prefix(services.prefix).events
    out = await producer(services.infra.kafka)
    stream = load.stream()
    expected: set[str] = set()
    sent = 0
    done, looked = 0, 0  # purchases of ``expected`` done; how far into observer.arrived
    rss: dict[str, list[float]] = {s: [] for s in services.processes}
    started = time.monotonic()
    next_rss = started
    try:
        while time.monotonic() - started < seconds:
            # Only what arrived since the last look is counted: the loop must not cost the
            # machine more as the run goes on (the client shares the two cores).
            arrived = observer.arrived[looked:]
            looked += len(arrived)
            done += sum(1 for purchase in arrived if purchase in expected)
            if len(expected) - done < backlog:
                chunk = []
                for _ in range(500):
                    key, value, purchase = next(stream)
                    chunk.append((key, value))
                    if purchase is not None:
                        expected.add(purchase)
                await send_many(out, topic, chunk)
                sent += len(chunk)
            else:
                await asyncio.sleep(0.05)
            if time.monotonic() >= next_rss:
                for service, mb in services.rss_mb().items():
                    rss[service].append(mb)
                next_rss += 1
        await out.flush()
    finally:
        await out.stop()
    produced_until = time.monotonic()
    deadline = produced_until + 900
    while not expected <= observer.done.keys():
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(expected - observer.done.keys())} purchases never reached the ledger"
            )
        for service, mb in services.rss_mb().items():
            rss[service].append(mb)
        await asyncio.sleep(1)
    times = sorted(observer.done[e] for e in expected)
    first, last = times[0], times[-1]
    per_second = Counter(int(t - started) for t in times)
    # Rates over 5-second windows while the backlog was full: batches make single seconds lumpy.
    window = 5
    saturated = [
        sum(per_second[s + i] for i in range(window)) / window
        for s in range(int(first - started) + 2, int(produced_until - started) - window + 1)
    ]
    return {
        "events_sent": sent,
        "purchases": len(expected),
        "returns_and_duplicates": sent - len(expected),
        "seconds_saturated": round(produced_until - first),
        "median_per_s": statistics.median(saturated) if saturated else float("nan"),
        "mean_per_s": len(expected) / (last - started),
        "drain_seconds": last - produced_until,
        "timeline": [per_second[s] for s in range(int(last - started) + 1)],
        "rss_mb_max": {s: max(v) for s, v in rss.items() if v},
    }


async def latency(services: Services, load: Load, rate: int, seconds: int) -> dict[str, Any]:
    """Purchases at ``rate`` per second, all told; up to 20 of them a second (half the rate at
    most) are for fresh members, timed from their write to Kafka until the balance API shows
    their points."""
    topic = Topics.with_prefix(services.prefix).events
    out = await producer(services.infra.kafka)
    stream = load.stream()
    samples: list[tuple[float, float]] = []  # (seconds into the phase, latency ms)
    pollers: list[asyncio.Task[None]] = []
    url = services.urls["ledger"]
    probe_run = uuid.uuid4().hex[:6]

    async def watch(member: str, written: float) -> None:
        ms = await until_points(url, API_KEY, member, written, deadline=written + 60)
        samples.append((written - started, ms))

    probes_per_s = min(20.0, rate / 2)
    tick = 0.01
    per_tick = (rate - probes_per_s) * tick
    owed = 0.0
    probe = 0
    started = time.monotonic()
    try:
        while (now := time.monotonic()) - started < seconds:
            owed += per_tick
            while owed >= 1:
                owed -= 1
                key, value, _ = next(stream)
                await out.send(topic, value, key=key)
            if int((now - started) * probes_per_s) >= probe:
                probe += 1
                member = f"probe-{probe_run}-{probe}"
                key, value, _ = load.purchase(member)
                written = time.monotonic()
                await (await out.send(topic, value, key=key))
                pollers.append(asyncio.create_task(watch(member, written)))
            await asyncio.sleep(
                max(0.0, started + tick * (1 + int((now - started) / tick)) - time.monotonic())
            )
    finally:
        await out.stop()
    await asyncio.gather(*pollers)
    values = [ms for _, ms in samples]
    return {
        "rate_per_s": rate,
        "probes": len(values),
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "samples": sorted(samples),
    }
