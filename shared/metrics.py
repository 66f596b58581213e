"""Prometheus metrics shared by every service's plumbing; labels name the service."""

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "pointstream_messages_consumed_total",
    "Messages a consumer finished, by event type ('other' unless handled) and outcome",
    ["service", "topic", "type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "pointstream_consumer_lag",
    "Messages in a partition this replica has not finished yet (high watermark - position)",
    ["service", "topic", "partition"],
)
OUTBOX_BACKLOG = Gauge(
    "pointstream_outbox_backlog",
    "Events committed to the outbox and not yet relayed to Kafka (after the last relay round)",
    ["service"],
)
POINTS_AWARDED = Counter(
    "pointstream_points_awarded_total",
    "Points the rules granted, by loyalty driver and rule",
    ["driver", "rule_id"],
)
POINTS_REVOKED = Counter(
    "pointstream_points_revoked_total",
    "Points the rules took back after returns, by rule",
    ["rule_id"],
)
HTTP_SECONDS = Histogram(
    "pointstream_http_request_seconds",
    "Time to answer an HTTP request, by route template",
    ["service", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
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
