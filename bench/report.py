"""The bench's results as the table it prints (docs/performance.md)."""

from typing import Any


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
            "bare pipeline, three stages (baseline)",
            f"{r['baseline']['bare_pipeline_per_s']:,.0f} purchases/s",
            "",
        ),
        (
            "end-to-end purchases -> ledger (median/s)",
            f"{tp['median_per_s']:,.0f} /s",
            f"{r['ratio_to_bare_pipeline']:.1%} of bare, "
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
