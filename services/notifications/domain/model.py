"""Inbox messages. Pure: the standard library only."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InboxMessage:
    message_id: str
    member_id: str
    kind: str
    title: str
    body: str
    source_event_id: str
    created_at: datetime
