"""OpenTelemetry tracing from the ingest request through rules, ledger and notifications.

Off by default; ``OTEL_EXPORTER_OTLP_ENDPOINT`` (e.g. ``http://collector:4318``) turns it on and
exports spans over OTLP/HTTP. The W3C trace context travels in Kafka headers (``traceparent``,
``tracestate``): the ingest API and the outbox relay write them, the consumer runtime reads them,
and outbox rows keep the context of the span that wrote them until they are relayed.
"""

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind

tracer = trace.get_tracer("pointstream")
_FIELDS = ("traceparent", "tracestate")
Headers = tuple[tuple[str, bytes], ...]


def configure(service: str, exporter: SpanExporter | None = None) -> bool:
    """Install this process's tracer provider: spans go to ``exporter`` (tests), or over OTLP
    when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise tracing stays a no-op. True if on."""
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": f"pointstream-{service}"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True


def current_headers() -> Headers:
    """The current span's context as Kafka headers (none without a recording span)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple((k, v.encode()) for k, v in carrier.items() if k in _FIELDS)


def context_from(headers: Iterable[tuple[str, bytes]] | None) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers or () if k in _FIELDS and v}
    return propagate.extract(carrier)


def encode(headers: Headers) -> bytes | None:
    """Headers for an outbox row; None when there is no trace to carry."""
    return json.dumps({k: v.decode() for k, v in headers}).encode() if headers else None


def decode(stored: bytes | None) -> Headers:
    if not stored:
        return ()
    try:
        return tuple((k, str(v).encode()) for k, v in json.loads(stored).items() if k in _FIELDS)
    except (ValueError, AttributeError):
        return ()  # a damaged trace context never stops an event


@contextmanager
def consuming(topic: str, headers: Iterable[tuple[str, bytes]] | None) -> Iterator[Span]:
    """A consumer span for one message, continuing the trace its producer started."""
    with tracer.start_as_current_span(
        f"process {topic}",
        context=context_from(headers),
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    ) as span:
        yield span
