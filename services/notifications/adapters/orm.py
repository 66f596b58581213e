"""The notification service's tables."""

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from shared.db import UtcDateTime

metadata = MetaData()

inbox = Table(
    "inbox_messages",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("member_id", String(200), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("source_event_id", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
    Index("ix_inbox_messages_member_id_id", "member_id", "id"),
)
