"""`make bench`: the whole system under a retailer's peak, against baselines from the same run.

Phases: (1) baselines: raw Kafka passthrough, raw ledger-row inserts; (2) sustained throughput:
purchases written to the input topic as fast as the system drains them, for ``--seconds``;
(3) latency at a fixed rate: probe purchases for fresh members, timed until their points show in
the balance API; (4) balance reads with wrk. Results: ``var/bench/results.json``, a table on
stdout, ``var/bench/bench.png``.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from typing import Any

from bench import baselines, plot, stages
from bench.counters import (
    Counters,
    costliest_statements,
    cpu_by_process,
    messages_by_topic,
    statements_by_database,
)
from bench.ingest import ingest_load
from bench.load import Load, Observer, producer, send_many
from bench.reads import balance_reads
from bench.system import API_KEY, SERVICES, Infra, Services
from bench.watch import until_points
from shared.contracts.topics import Topics
from tests.infra import REPO, free_port

OUT = REPO / "var" / "bench"
PARTITIONS = 6  # the services' default (KAFKA_TOPIC_PARTITIONS)


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


async def run(args: argparse.Namespace) -> dict[str, Any]:
    infra = Infra()
    infra.start()
    try:
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        sample_stream = Load(members=args.members, seed=1).stream()  # not sent to the system
        sample = [next(sample_stream)[:2] for _ in range(args.baseline_messages)]
        load = Load(members=args.members)
        print(
            "baseline: raw Kafka passthrough (a warm-up pass, then the measured one) ...",
            file=sys.stderr,
        )
        # A fresh JVM spends its first minute compiling: the first pass warms the broker, so
        # both the baseline and the system meet the broker a production cluster would be.
        await baselines.kafka_passthrough(infra.kafka, f"{prefix}warm.", sample, PARTITIONS)
        kafka_rate = await baselines.kafka_passthrough(infra.kafka, prefix, sample, PARTITIONS)
        print("baseline: raw ledger-row inserts ...", file=sys.stderr)
        raw_db = await infra.create_database("bench_raw")
        db_rates = await baselines.database_inserts(raw_db, args.baseline_messages)
        db_rate = max(db_rates.values())
        print(f"  {kafka_rate:,.0f} msg/s through Kafka, {db_rates} rows/s", file=sys.stderr)
        await infra.count_statements()
        async with Services(infra, prefix, OUT / "logs") as services:
            observer = Observer(infra.kafka, Topics.with_prefix(prefix).ledger)
            await observer.start()
            try:
                if args.warmup:
                    # Not measured: the broker's JIT, the services' caches and PostgreSQL's
                    # buffers get to the state a running system is in.
                    print(f"warm-up: {args.warmup} s saturated ...", file=sys.stderr)
                    await throughput(services, load, observer, args.warmup, args.backlog)
                    await stages.wait_until_idle(services.urls)
                print(f"throughput: {args.seconds} s saturated ...", file=sys.stderr)
                before = await read_counters(infra, services, prefix)
                tp = await throughput(services, load, observer, args.seconds, args.backlog)
                after = await read_counters(infra, services, prefix)
                tp["postgres_costliest"] = await costliest_statements(
                    infra.postgres, [f"bench_{s}" for s in SERVICES]
                )
                tp["per_purchase"] = before.per_purchase(after, tp["purchases"])
                print(f"  median {tp['median_per_s']:,.0f} purchases/s", file=sys.stderr)
                tp["stages"] = await stages.scrape(services.urls)
                print("  waiting for every service to catch up ...", file=sys.stderr)
                await stages.wait_until_idle(services.urls)
                rate = min(args.latency_rate, max(5, int(tp["median_per_s"] * 0.6)))
                print(f"latency: {rate} events/s for {args.latency_seconds} s ...", file=sys.stderr)
                await observer.stop()  # it has counted the throughput; it would only load
                lat = await latency(services, load, rate, args.latency_seconds)
            finally:
                await observer.stop()
            rss_now = services.rss_mb()
            await start_baselines(services, infra, prefix)
            print("balance reads: wrk, bare route and ledger ...", file=sys.stderr)
            reads = {
                name: balance_reads(
                    services.urls[name],
                    API_KEY,
                    args.members,
                    seconds=args.read_seconds,
                    connections=args.connections,
                )
                for name in ("bare", "ledger")
            }
            print("HTTP ingest: wrk, bare route and rules ...", file=sys.stderr)
            ingest = {
                f"{name} x{batch}": ingest_load(
                    services.urls[name],
                    API_KEY,
                    args.members,
                    batch=batch,
                    seconds=args.read_seconds,
                    connections=16,
                )
                for name, batch in (("bare", 1), ("rules-api", 1), ("rules-api", 50))
            }
    finally:
        infra.stop()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline": {
            "kafka_passthrough_per_s": kafka_rate,
            "db_insert_rows_per_s": db_rate,
            "db_insert_rows_per_s_by_path": db_rates,
        },
        "throughput": tp,
        "ratio_to_kafka_passthrough": tp["median_per_s"] / kafka_rate,
        "ratio_to_db_inserts": tp["median_per_s"] / db_rate,
        "latency": lat,
        "balance_reads": reads["ledger"],
        "bare_balance_reads": reads["bare"],
        "ratio_reads_to_bare": reads["ledger"]["requests_per_s"] / reads["bare"]["requests_per_s"],
        "ingest": ingest,
        "ratio_single_ingest_to_bare": ingest["rules-api x1"]["requests_per_s"]
        / ingest["bare x1"]["requests_per_s"],
        "rss_mb_max": {s: max(tp["rss_mb_max"].get(s, 0), rss_now.get(s, 0)) for s in rss_now},
    }


async def read_counters(infra: Infra, services: Services, prefix: str) -> Counters:
    topics = Topics.with_prefix(prefix)
    pids = {s: services.processes[s].pid for s in SERVICES}
    return Counters(
        cpu=cpu_by_process(pids, infra.kafka_dir, infra.pg_dir),
        statements={
            s: found.get(f"bench_{s}", 0.0)
            for found in [
                await statements_by_database(infra.postgres, [f"bench_{s}" for s in SERVICES])
            ]
            for s in SERVICES
        },
        messages=await messages_by_topic(
            infra.kafka, [topics.events, topics.awards, topics.ledger]
        ),
    )


async def start_baselines(services: Services, infra: Infra, prefix: str) -> None:
    """The bare FastAPI routes, and an API-only rules replica whose ingest goes to a topic
    nobody consumes (so it does what the bare route does: validate, produce, answer)."""
    await baselines.create_topics(infra.kafka, [f"{prefix}bench.bare-ingest"], PARTITIONS)
    port = free_port()
    database = infra.postgres.replace("+asyncpg", "") + "/bench_ledger"
    await services.spawn(
        "bare",
        [
            sys.executable,
            "-m",
            "bench.bare",
            f"--port={port}",
            f"--database={database}",
            f"--kafka={infra.kafka}",
            f"--topic={prefix}bench.bare-ingest",
        ],
        {},
        f"http://127.0.0.1:{port}",
    )
    port = free_port()
    await services.spawn(
        "rules-api",
        [sys.executable, "-m", "services.rules", "serve"],
        {
            "RULES_PORT": str(port),
            "RULES_ROLES": "api",
            "KAFKA_TOPIC_PREFIX": f"{prefix}ingest.",
        },
        f"http://127.0.0.1:{port}",
    )


def table(r: dict[str, Any]) -> str:
    tp, lat, reads = r["throughput"], r["latency"], r["balance_reads"]
    bare = r["bare_balance_reads"]
    rows = [
        (
            "raw Kafka passthrough (baseline)",
            f"{r['baseline']['kafka_passthrough_per_s']:,.0f} msg/s",
            "",
        ),
        (
            "raw ledger-row inserts (baseline)",
            f"{r['baseline']['db_insert_rows_per_s']:,.0f} rows/s",
            ", ".join(
                f"{k} {v:,.0f}" for k, v in r["baseline"]["db_insert_rows_per_s_by_path"].items()
            ),
        ),
        (
            "end-to-end purchases -> ledger (median/s)",
            f"{tp['median_per_s']:,.0f} /s",
            f"{r['ratio_to_kafka_passthrough']:.1%} of Kafka, "
            f"{r['ratio_to_db_inserts']:.1%} of inserts",
        ),
        (
            "  events sent / seconds saturated",
            f"{tp['events_sent']:,} / {tp['seconds_saturated']} s",
            "",
        ),
        (
            f"event -> balance latency at {lat['rate_per_s']}/s",
            f"p50 {lat['p50_ms']:.0f} / p95 {lat['p95_ms']:.0f} / p99 {lat['p99_ms']:.0f} ms",
            f"{lat['probes']} probes",
        ),
        (
            "balance reads (wrk, 1 worker)",
            f"{reads['requests_per_s']:,.0f} req/s",
            f"p50 {reads.get('p50_ms', 0):.1f} / p99 {reads.get('p99_ms', 0):.1f} ms, "
            f"{r['ratio_reads_to_bare']:.0%} of bare",
        ),
        (
            "  bare FastAPI + asyncpg read (baseline)",
            f"{bare['requests_per_s']:,.0f} req/s",
            f"p50 {bare.get('p50_ms', 0):.1f} / p99 {bare.get('p99_ms', 0):.1f} ms",
        ),
        *(
            (
                f"HTTP ingest, {name} (wrk, 16 conn.)",
                f"{i['events_per_s']:,.0f} events/s",
                f"{i['requests_per_s']:,.0f} req/s, p99 {i.get('p99_ms', 0):.0f} ms, "
                f"{i['non_2xx']:.0f} errors",
            )
            for name, i in r["ingest"].items()
        ),
        (
            "  single-event ingest vs bare route",
            f"{r['ratio_single_ingest_to_bare']:.0%}",
            "",
        ),
        *(
            (
                f"per purchase: {what}",
                ", ".join(f"{k} {v:.2f}" for k, v in values.items()),
                "",
            )
            for what, values in tp["per_purchase"].items()
        ),
        *(
            (
                f"  {service}: messages consumed",
                f"{st['consumed']:,.0f} in {st['batches']:,.0f} batches",
                f"{st['ms_per_message']:.2f} ms each, {st['fallbacks']:,.0f} batches redone",
            )
            for service, st in tp["stages"].items()
        ),
        ("RSS max (MB)", ", ".join(f"{s} {mb:.0f}" for s, mb in r["rss_mb_max"].items()), ""),
    ]
    width = max(len(a) for a, _, _ in rows)
    return "\n".join(f"{a:<{width}}  {b:<34} {c}".rstrip() for a, b, c in rows)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="saturated throughput phase")
    parser.add_argument("--warmup", type=int, default=20, help="saturated, before it; not measured")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--backlog", type=int, default=5_000, help="purchases kept waiting")
    parser.add_argument("--latency-rate", type=int, default=1_000, help="events/s, at most")
    parser.add_argument("--latency-seconds", type=int, default=30)
    parser.add_argument("--read-seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--baseline-messages", type=int, default=50_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(run(args))
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    plot.draw(results, OUT / "bench.png")
    print(table(results))
    print(f"\nresults: {OUT / 'results.json'}  plot: {OUT / 'bench.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
