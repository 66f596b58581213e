"""The dead-letter message: the original bytes, where they came from, and why they were refused."""

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from shared.erasure.keys import digest
from shared.kafka.producer import OutgoingMessage

REASON = "dlq.reason"
ORIGINAL_TOPIC = "dlq.original.topic"
ORIGINAL_PARTITION = "dlq.original.partition"
ORIGINAL_OFFSET = "dlq.original.offset"
CONSUMER_GROUP = "dlq.consumer.group"
FAILED_AT = "dlq.failed.at"
ERASED = "dlq.member.erased"  # a refusal of an erased member's message: nothing of it kept


class MemberForgotten(str):
    """The reason a message was refused because its member was erased: its dead letter keeps
    neither the message nor the member's id (key and reason name a digest), and is never
    replayed."""


def member_ref(member_id: str) -> str:
    """How logs and dead letters name a member: a digest (the erased-members table's, cut
    short), never the id, so that forgetting a member leaves nothing to search for."""
    return "sha256:" + digest(member_id)[:16]


def without_member(text: str, member_id: str | None) -> str:
    """``text`` with the member's id replaced by its digest."""
    return text.replace(member_id, member_ref(member_id)) if member_id else text


def dead_letter_message(
    record: ConsumerRecord[bytes, bytes],
    *,
    reason: str,
    topic: str,
    group_id: str,
    member_id: str | None = None,
) -> OutgoingMessage:
    """The dead letter of ``record``; the reason names ``member_id`` by its digest. A
    :class:`MemberForgotten` refusal keeps only where the message was and why."""
    headers = (
        (REASON, without_member(reason, member_id)[:4000].encode()),
        (ORIGINAL_TOPIC, record.topic.encode()),
        (ORIGINAL_PARTITION, str(record.partition).encode()),
        (ORIGINAL_OFFSET, str(record.offset).encode()),
        (CONSUMER_GROUP, group_id.encode()),
        (FAILED_AT, datetime.now(UTC).isoformat().encode()),
    )
    if isinstance(reason, MemberForgotten):
        return OutgoingMessage(
            topic=topic,
            key=member_ref(member_id).encode() if member_id else None,
            value=b"",
            headers=(*headers, (ERASED, b"true")),
        )
    original_headers = tuple((f"original.{k}", v) for k, v in (record.headers or ()))
    return OutgoingMessage(
        topic=topic,
        key=record.key,
        value=record.value or b"",
        headers=headers + original_headers,
    )
