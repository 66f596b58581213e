"""OpenTelemetry tracing from the ingest request through rules, ledger and notifications.

Off by default; ``OTEL_EXPORTER_OTLP_ENDPOINT`` (e.g. ``http://collector:4318``) turns it on and
exports spans over OTLP/HTTP. The W3C trace context travels in Kafka headers (``traceparent``,
``tracestate``): the ingest API and the outbox relay write them, the consumer runtime reads them,
and outbox rows keep the context of the span that wrote them until they are relayed.
"""

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind

tracer = trace.get_tracer("pointstream")
_enabled = False
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
    global _enabled
    _enabled = True
    return True


def enabled() -> bool:
    """Whether spans are recorded (``configure`` installed a provider)."""
    return _enabled


def current_headers() -> Headers:
    """The current span's context as Kafka headers (none without a recording span)."""
    if not _enabled:
        return ()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple((k, v.encode()) for k, v in carrier.items() if k in _FIELDS)


def context_from(headers: Iterable[tuple[str, bytes]] | None) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers or () if k in _FIELDS and v}
    return propagate.extract(carrier)


@contextmanager
def consuming_chunk(
    topic: str, headers: Sequence[Iterable[tuple[str, bytes]] | None], event_types: Iterable[str]
) -> Iterator[Span]:
    """A consumer span for a chunk of messages: it continues the first message's trace and
    links the others (OpenTelemetry's convention for batch receivers), so what the chunk
    writes to an outbox carries a context that leads back to a producer."""
    first = context_from(headers[0]) if headers and _enabled else None
    links = [
        trace.Link(linked)
        for h in (headers[1:] if _enabled else ())
        if (linked := trace.get_current_span(context_from(h)).get_span_context()).is_valid
    ]
    with tracer.start_as_current_span(
        f"process {topic}",
        context=first,
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.batch.message_count": len(headers),
            "cloudevents.event_type": ",".join(sorted(set(event_types))),
        },
    ) as span:
        yield span
