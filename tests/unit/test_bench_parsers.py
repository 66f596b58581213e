"""The benchmark reads wrk's report and the services' /metrics; a misread figure would mislead."""

from bench.reads import parse_wrk
from bench.stages import totals

WRK = """Running 5s test @ http://127.0.0.1:8002
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.12ms    2.01ms  40.00ms   90.00%
  Latency Distribution
     50%    9.50ms
     75%   11.00ms
     90%  800.00us
     99%    1.20s
  15000 requests in 5.00s, 3.00MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   3000.50
Transfer/sec:    600.00KB
"""


def test_wrk_rate_percentiles_in_ms_and_errors() -> None:
    assert parse_wrk(WRK) == {
        "requests_per_s": 3000.5,
        "p50_ms": 9.5,
        "p90_ms": 0.8,
        "p99_ms": 1200.0,
        "non_2xx": 12.0,
    }


def test_consumer_metrics_are_summed_over_topics_and_outcomes() -> None:
    text = "\n".join(
        [
            "# HELP pointstream_messages_consumed_total Messages a consumer finished",
            'pointstream_messages_consumed_total{outcome="ok",service="s",topic="a"} 300.0',
            'pointstream_messages_consumed_total{outcome="dead",service="s",topic="a"} 2.0',
            'pointstream_messages_consumed_total{outcome="ok",service="s",topic="b"} 100.0',
            'pointstream_batch_seconds_sum{service="ledger"} 1.5',
            'pointstream_batch_seconds_count{service="ledger"} 4.0',
            'pointstream_batch_seconds_bucket{le="0.5",service="ledger"} 3.0',
        ]
    )
    found = totals(text)
    assert found["consumed"] == 402
    assert found["batch_seconds"] == 1.5
    assert found["batches"] == 4
    assert found["fallbacks"] == 0
