"""What an operations team scrapes: after events flow, /metrics shows consumer lag per partition
settling at zero, counters by topic and type, points by loyalty driver, the outbox drained, and
request latency by route."""

import re
import uuid

import httpx
import pytest

from tests.e2e.system import System
from tests.e2e.test_purchase_to_inbox import post, purchase
from tests.polling import eventually

pytestmark = pytest.mark.e2e
SAMPLE = re.compile(r"^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$", re.M)


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(value))
        for metric, labels, value in SAMPLE.findall(text)
        if metric == name
    ]


def total(text: str, name: str, **match: str) -> float:
    return sum(
        v for labels, v in samples(text, name) if all(labels.get(k) == w for k, w in match.items())
    )


async def scrape(system: System, service: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(f"{system.urls[service]}/metrics")).text


async def test_metrics_move_when_events_flow_and_lag_settles(system: System) -> None:
    before = await scrape(system, "rules")
    members = [f"ops-{uuid.uuid4().hex[:6]}-{n}" for n in range(12)]
    batch = [purchase(m, "100.00") for m in members]  # 100 base points each, no other rule
    assert (await post(system, batch)).status_code == 202
    events = system.kafka.topics.events

    def consumed(text: str) -> float:
        return total(
            text,
            "pointstream_messages_consumed_total",
            topic=events,
            type="purchase.completed",
            outcome="handled",
        )

    def lag_of(text: str) -> list[float]:
        return [
            v
            for labels, v in samples(text, "pointstream_consumer_lag")
            if labels["topic"] == events
        ]

    # The lag is reported after each chunk's offsets are committed, a moment after its count.
    after = await eventually(
        lambda: scrape(system, "rules"),
        lambda text: (
            consumed(text) >= consumed(before) + len(batch)
            and lag_of(text) != []
            and all(v == 0 for v in lag_of(text))
        ),
        what="rules consumed the purchases and its lag settled at zero",
    )
    base_before = total(
        before, "pointstream_points_awarded_total", driver="economic", rule_id="base-earn"
    )
    base_after = total(
        after, "pointstream_points_awarded_total", driver="economic", rule_id="base-earn"
    )
    assert base_after - base_before == 100 * len(batch)

    partitions = {
        labels["partition"]
        for labels, _ in samples(after, "pointstream_consumer_lag")
        if labels["topic"] == events
    }
    assert partitions <= {"0", "1", "2"}, "the lag is reported per partition"

    ledger = await eventually(
        lambda: scrape(system, "ledger"),
        lambda text: (
            total(text, "pointstream_consumer_lag", topic=system.kafka.topics.awards) == 0
            and total(text, "pointstream_outbox_backlog") == 0
            and total(text, "pointstream_outbox_published_total") >= len(batch)
        ),
        what="the ledger caught up and relayed its events",
    )
    assert total(ledger, "pointstream_batch_seconds_count") >= 1
    assert total(after, "pointstream_http_request_seconds_count", route="/v1/events") >= 1
