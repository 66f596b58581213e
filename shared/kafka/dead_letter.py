"""The dead-letter message: the original bytes, where they came from, and why they were refused."""

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from shared.kafka.producer import OutgoingMessage

REASON = "dlq.reason"
ORIGINAL_TOPIC = "dlq.original.topic"
ORIGINAL_PARTITION = "dlq.original.partition"
ORIGINAL_OFFSET = "dlq.original.offset"
CONSUMER_GROUP = "dlq.consumer.group"
FAILED_AT = "dlq.failed.at"


def dead_letter_message(
    record: ConsumerRecord[bytes, bytes], *, reason: str, topic: str, group_id: str
) -> OutgoingMessage:
    headers = (
        (REASON, reason[:4000].encode()),
        (ORIGINAL_TOPIC, record.topic.encode()),
        (ORIGINAL_PARTITION, str(record.partition).encode()),
        (ORIGINAL_OFFSET, str(record.offset).encode()),
        (CONSUMER_GROUP, group_id.encode()),
        (FAILED_AT, datetime.now(UTC).isoformat().encode()),
    )
    original_headers = tuple((f"original.{k}", v) for k, v in (record.headers or ()))
    return OutgoingMessage(
        topic=topic,
        key=record.key,
        value=record.value or b"",
        headers=headers + original_headers,
    )
