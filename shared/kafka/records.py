"""What the consumer runtime asks of single records: the event in them (structured or binary
mode), a metric label for its type, whether an outside event's time is plausible for when it
was written, and which offsets are done."""

from datetime import UTC, datetime
from typing import TypeAlias

from aiokafka import ConsumerRecord, TopicPartition
from pydantic import ValidationError

from shared.contracts.envelope import CloudEvent, EnvelopeError, implausible_time, parse_envelope
from shared.contracts.modes import is_binary_record, kafka_document

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def event_of(record: Record) -> CloudEvent:
    """The CloudEvent a record holds; EnvelopeError (dead-letter it) saying why there is none."""
    if not is_binary_record(record.headers):
        return parse_envelope(record.value or b"")
    try:
        return CloudEvent.model_validate(kafka_document(record.headers, record.value or b""))
    except ValidationError as exc:
        raise EnvelopeError(f"invalid CloudEvent (binary mode): {exc}") from exc


def type_label(event_type: str) -> str:
    """Event types come from producers: only short, plain ones become label values."""
    if len(event_type) <= 64 and event_type.replace(".", "").replace("_", "").isalnum():
        return event_type
    return "other"


def check_time(record: Record, event: CloudEvent) -> CloudEvent:
    """The event, as of when it happened; EnvelopeError if its time is implausible for when
    its record was written (the window ingest refuses, so what ingest accepted passes here).
    An event dated after it was written (a till's clock running ahead) happened when it was
    written: a consent a till says was given tomorrow must not outrank one withdrawn in the
    app an hour from now."""
    if record.timestamp is None or record.timestamp < 0:
        return event
    written = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    if (why := implausible_time(event.time, written)) is not None:
        raise EnvelopeError(why)
    return event.model_copy(update={"time": written}) if event.time > written else event


def offsets_done(records: list[Record], settled: set[int]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the last record of an unbroken settled run."""
    done: dict[TopicPartition, int] = {}
    broken: set[TopicPartition] = set()
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        if tp in broken:
            continue
        if id(record) in settled:
            done[tp] = record.offset + 1
        else:
            broken.add(tp)
    return done
