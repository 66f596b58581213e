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
import sys
import time
import uuid
from typing import Any

import orjson

from bench import baselines, pipeline, plot, stages
from bench.counters import (
    Counters,
    costliest_statements,
    cpu_by_process,
    messages_by_topic,
    statements_by_database,
)
from bench.ingest import ingest_load
from bench.load import Load, Observer
from bench.phases import latency, throughput
from bench.program import load_offers
from bench.reads import balance_reads
from bench.report import table
from bench.system import API_KEY, SERVICES, Infra, Services
from shared.contracts.topics import Topics
from tests.infra import REPO, free_port

OUT = REPO / "var" / "bench"
PARTITIONS = 6  # the services' default (KAFKA_TOPIC_PARTITIONS)


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
        print("baseline: the bare pipeline (three stages) ...", file=sys.stderr)
        bare_dbs = {
            stage: (await infra.create_database(f"bench_bare_{stage}")).replace("+asyncpg", "")
            for stage in pipeline.STAGES
        }
        distinct = len({orjson.loads(value)["id"] for _, value in sample})
        bare_rate = await pipeline.drained(
            infra.kafka, bare_dbs, f"{prefix}bench.raw-in", distinct, PARTITIONS
        )
        print(f"  {bare_rate:,.0f} purchases/s through the bare pipeline", file=sys.stderr)
        await infra.count_statements()
        async with Services(infra, prefix, OUT / "logs") as services:
            if not args.without_offers:
                await load_offers(services.urls["rules"])
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
            "bare_pipeline_per_s": bare_rate,
        },
        "throughput": tp,
        "ratio_to_kafka_passthrough": tp["median_per_s"] / kafka_rate,
        "ratio_to_bare_pipeline": tp["median_per_s"] / bare_rate,
        "ratio_to_db_inserts": tp["median_per_s"] / db_rate,
        "latency": lat,
        "balance_reads": reads["ledger"],
        "bare_balance_reads": reads["bare"],
        "ratio_reads_to_bare": reads["ledger"]["requests_per_s"] / reads["bare"]["requests_per_s"],
        "ingest": ingest,
        "ratio_single_ingest_to_bare": ingest["rules-api x1"]["requests_per_s"]
        / ingest["bare x1"]["requests_per_s"],
        "rss_mb_max": {s: max(tp["rss_mb_max"].get(s, 0), rss_now.get(s, 0)) for s in rss_now},
        "program": "default pack" if args.without_offers else "default pack, 2 audiences, 1 offer",
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
    parser.add_argument(
        "--without-offers",
        action="store_true",
        help="the default pack alone (the bench's program adds audiences, an offer, a challenge)",
    )
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
