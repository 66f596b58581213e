"""Prometheus metrics shared by every service's plumbing; labels name the service."""

from prometheus_client import Counter, Histogram

CONSUMED = Counter(
    "pointstream_messages_consumed_total",
    "Messages a consumer finished, by outcome",
    ["service", "topic", "outcome"],
)
HANDLER_RETRIES = Counter(
    "pointstream_handler_retries_total",
    "Handler attempts that failed and were retried",
    ["service", "topic", "kind"],
)
HANDLE_SECONDS = Histogram(
    "pointstream_handle_seconds",
    "Time to handle one consumed message",
    ["service", "topic"],
)
BATCH_SECONDS = Histogram(
    "pointstream_batch_seconds",
    "Time to handle one consumed batch in one transaction",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_FALLBACKS = Counter(
    "pointstream_batch_fallbacks_total",
    "Batches rolled back and redone one message at a time",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "pointstream_outbox_published_total",
    "Events relayed from the outbox to Kafka",
    ["service"],
)
HTTP_REQUESTS = Counter(
    "pointstream_http_requests_total",
    "HTTP requests served",
    ["service", "route", "status"],
)
