"""The CloudEvents 1.0 envelope (JSON structured mode) every message on every topic wears."""

import functools
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared.contracts.json import loads_exact

# Namespace for ids derived from their cause, so that a replay yields the same ids.
_DERIVED_ID_NAMESPACE = uuid.UUID("6f1c1a52-5d4e-4b7e-9b2a-0c9a3f6f2d11")
_NAMESPACE_BYTES = _DERIVED_ID_NAMESPACE.bytes


# A member id: letters, digits and _ : @ - with single dots between them (an email will do), at
# most 200 characters. No "/" and no ".." or lone "." segment: an id is always one path
# segment that names no other path. The one definition, for events, routes and fast paths.
MEMBER_ID = r"[A-Za-z0-9_:@-]+(?:\.[A-Za-z0-9_:@-]+)*"
MEMBER_ID_PATTERN = rf"^{MEMBER_ID}$"
MEMBER_ID_MAX = 200


class CloudEvent(BaseModel):
    """One event. ``source`` + ``id`` is its identity (:attr:`key`), the idempotency key: two
    stores may both number receipts from 1. ``subject`` is the member id (the Kafka key)."""

    # CloudEvents allows extension attributes (e.g. ``traceparent``): they are kept, not refused.
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=200)
    time: AwareDatetime
    subject: str = Field(min_length=1, max_length=MEMBER_ID_MAX, pattern=MEMBER_ID_PATTERN)
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @property
    def key(self) -> str:
        """The event's identity as one string: see :func:`event_key`."""
        return event_key(self.source, self.id)


def event_key(source: str, id: str) -> str:
    """The identity of the event ``id`` from ``source`` (CloudEvents: "source + id is
    unique"), as one string of fixed length: what de-duplication, purchase records and the
    ids derived from an event are keyed on. Events processed before pointstream keyed on the
    pair are still known by their bare ``id`` (a UUID this function makes cannot be mistaken
    for one of those unless a sender chose it on purpose)."""
    return _derived(f"cloudevent/{len(source)}/{source}/{id}")


# The Kafka header with the event's type, as CloudEvents' binary mode names it: pointstream
# writes it beside every structured message, so consumers can skip types unread.
TYPE_HEADER = "ce_type"


# When an event may say it happened, against when it arrived (ingest's clock, or the time its
# record was written to Kafka): a till's clock may run up to a day ahead, and a till that was
# offline, or an import of last year's purchases, may bring events up to 400 days old. Outside
# this, the event is refused at ingest and dead-lettered on Kafka with the same reason, before
# any date arithmetic (return windows, 12-month counts) could fail on it.
EVENT_TIME_AHEAD = timedelta(hours=24)
EVENT_TIME_BEHIND = timedelta(days=400)


def implausible_time(time: datetime, arrived: datetime) -> str | None:
    """Why an event's ``time`` cannot be taken from something that arrived at ``arrived``;
    None when it can."""
    if time > arrived + EVENT_TIME_AHEAD:
        return (
            f"the event's time {time.isoformat()} is more than 24 hours after it arrived "
            f"({arrived.isoformat(timespec='seconds')}): check the sender's clock"
        )
    if time < arrived - EVENT_TIME_BEHIND:
        return (
            f"the event's time {time.isoformat()} is more than 400 days before it arrived "
            f"({arrived.isoformat(timespec='seconds')}): events that old are not taken"
        )
    return None


class InvalidMessage(ValueError):
    """A message that breaks the contract for good: retrying cannot help, dead-letter it."""


class EnvelopeError(InvalidMessage):
    """A message that is not a valid CloudEvent; the reason says why."""


def parse_envelope(raw: bytes) -> CloudEvent:
    try:
        return CloudEvent.model_validate(loads_exact(raw))
    except (ValueError, ValidationError) as exc:
        raise EnvelopeError(f"invalid CloudEvent: {exc}") from exc


def derived_id(*causes: str) -> str:
    """A deterministic event id from the ids and names that caused it."""
    return _derived("/".join(causes))


@functools.lru_cache(maxsize=16384)
def _derived(name: str) -> str:
    # A chunk asks for an award's id when it logs the award and again when it announces it.
    # str(uuid.uuid5(namespace, name)), without building a UUID object on the way.
    sha1 = hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False)
    digest = bytearray(sha1.digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_event(
    *,
    id: str,
    source: str,
    type: str,
    subject: str,
    data: dict[str, Any],
    time: datetime | None = None,
) -> CloudEvent:
    """An event pointstream writes, from values it has already validated (its own ids, a
    member id from a validated event): built without validating them again — what
    ``CloudEvent.model_construct`` builds (a unit test holds them equal), at a third of its
    cost: a chunk writes one or more of these per event."""
    event = _NEW(CloudEvent)
    fields = {
        "specversion": "1.0",
        "id": id,
        "source": source,
        "type": type,
        "time": time or datetime.now(UTC),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }
    _set(event, "__dict__", fields)
    _set(event, "__pydantic_fields_set__", set(_CONSTRUCTED))
    _set(event, "__pydantic_extra__", {})
    _set(event, "__pydantic_private__", None)
    return event


_NEW = object.__new__
_set = object.__setattr__  # the model is frozen: as pydantic sets its own
_CONSTRUCTED = frozenset({"specversion", "id", "source", "type", "time", "subject", "data"})
