"""One trace from a till's request through the rules and into the ledger: the context rides in
Kafka headers, and through the rules' outbox, across both hops."""

import secrets
import uuid

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.ledger.bootstrap import build_app as ledger_app
from services.ledger.settings import LedgerSettings
from services.rules.bootstrap import build_app as rules_app
from services.rules.settings import RulesSettings
from shared import tracing
from shared.settings import KafkaSettings
from tests.apps import POS_KEY, auth_settings, serving
from tests.conftest import Databases
from tests.integration.test_ingest_api import purchase
from tests.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exported() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    assert tracing.configure("tests", exporter)
    return exporter


async def test_the_trace_of_a_tills_request_reaches_the_ledger(
    exported: InMemorySpanExporter, kafka_settings: KafkaSettings, databases: Databases
) -> None:
    topics = kafka_settings.topics
    rules = RulesSettings(
        database_url=await databases.migrated("rules"),
        consumer_group=f"{kafka_settings.topic_prefix}rules",
    )
    ledger = LedgerSettings(
        database_url=await databases.migrated("ledger"),
        consumer_group=f"{kafka_settings.topic_prefix}ledger",
    )
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    member = f"traced-{uuid.uuid4().hex[:6]}"
    async with (
        serving(rules_app(rules, kafka_settings, auth_settings())) as api,
        serving(ledger_app(ledger, kafka_settings, auth_settings())),
    ):
        response = await api.post(
            "/v1/events",
            json=purchase(member),
            headers={"X-API-Key": POS_KEY, "traceparent": traceparent},
        )
        assert response.status_code == 202

        def in_trace() -> dict[str, list[str]]:
            names: dict[str, list[str]] = {}
            for span in exported.get_finished_spans():
                if format(span.context.trace_id, "032x") == trace_id:
                    names.setdefault(span.name, []).append(
                        str((span.attributes or {}).get("cloudevents.event_type"))
                    )
            return names

        async def spans() -> dict[str, list[str]]:
            return in_trace()

        names = await eventually(
            spans, lambda n: f"process {topics.awards}" in n, what="the ledger's span in the trace"
        )
    assert "POST /v1/events" in names  # continues the till's trace
    assert names[f"process {topics.events}"] == ["purchase.completed"]  # the rules, hop one
    assert "points.decided" in names[f"process {topics.awards}"]  # the ledger, via the outbox
