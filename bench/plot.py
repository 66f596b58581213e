"""The run as a picture: throughput per second, and each probe's event-to-balance latency."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draw(results: dict[str, Any], path: Path) -> None:
    tp, lat = results["throughput"], results["latency"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7))
    top.plot(range(len(tp["timeline"])), tp["timeline"], label="purchases committed to the ledger")
    top.axhline(tp["median_per_s"], linestyle="--", color="grey", label="median while saturated")
    top.set_xlabel("seconds")
    top.set_ylabel("purchases / s")
    top.set_title(
        f"Throughput (raw Kafka passthrough {results['baseline']['kafka_passthrough_per_s']:,.0f}"
        " msg/s)"
    )
    top.legend()
    samples = [(t, ms) for t, ms in lat["samples"] if ms != float("inf")]
    bottom.scatter([t for t, _ in samples], [ms for _, ms in samples], s=6)
    bottom.axhline(lat["p99_ms"], linestyle="--", color="red", label=f"p99 {lat['p99_ms']:.0f} ms")
    bottom.set_xlabel("seconds")
    bottom.set_ylabel("event -> balance (ms)")
    bottom.set_title(f"Latency at {lat['rate_per_s']} events/s")
    bottom.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
