"""CloudEvents' content modes, read into the one envelope pointstream handles.

- **structured**: the whole event is the body (``application/cloudevents+json``, or plain
  ``application/json`` as tills have always sent); on Kafka the record's value;
- **batched** (HTTP only): a JSON array of structured events,
  ``application/cloudevents-batch+json``;
- **binary**: the attributes travel as headers (HTTP ``ce-<name>``, percent-encoded; Kafka
  ``ce_<name>``) and the body (the record's value) is ``data``, with its ``content-type``.

What pointstream writes stays structured; it writes a ``ce_type`` header beside each message,
so on Kafka a message is binary only when it carries ``ce_specversion``.
"""

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from shared.contracts.envelope import EnvelopeError
from shared.contracts.json import JsonDecodeError, loads_exact

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
JSON = "application/json"
HTTP_PREFIX = "ce-"
KAFKA_PREFIX = "ce_"
KAFKA_SPECVERSION = "ce_specversion"


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def binary_document(attributes: Mapping[str, str], content_type: str | None, body: bytes) -> Any:
    """The structured document a binary-mode message stands for: its attributes, and its
    body as ``data``. Raises EnvelopeError when the data is not JSON."""
    kind = media_type(content_type) or JSON
    if kind != JSON and not kind.endswith("+json"):
        raise EnvelopeError(f"invalid CloudEvent: data must be JSON ({JSON}), not {kind}")
    try:
        data = loads_exact(body) if body else None
    except JsonDecodeError as exc:
        raise EnvelopeError(f"invalid CloudEvent: its data is {exc}") from exc
    return {**attributes, "datacontenttype": JSON, "data": data}


def http_attributes(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The attributes of a binary-mode HTTP request (header names lower-cased)."""
    return {
        name[len(HTTP_PREFIX) :]: unquote(value)
        for name, value in headers
        if name.startswith(HTTP_PREFIX)
    }


def is_binary_record(headers: Iterable[tuple[str, bytes]] | None) -> bool:
    return any(name == KAFKA_SPECVERSION for name, _ in headers or ())


def kafka_document(headers: Iterable[tuple[str, bytes]], value: bytes) -> Any:
    """The structured document of a binary-mode Kafka record."""
    attributes: dict[str, str] = {}
    content_type = None
    for name, raw in headers:
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise EnvelopeError(f"invalid CloudEvent: header {name!r} is not UTF-8") from None
        if name.startswith(KAFKA_PREFIX):
            attributes[name[len(KAFKA_PREFIX) :]] = text
        elif name.lower() == "content-type":
            content_type = text
    return binary_document(attributes, content_type, value)
