"""The notification service's tables."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from shared.db import UtcDateTime
from shared.erasure.table import erased_members_table

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
    Index("ix_inbox_messages_created_at", "created_at", postgresql_using="brin"),
)

preferences = Table(
    "preferences",
    metadata,
    Column("member_id", String(200), primary_key=True),
    Column("prefs", JSON, nullable=False),
    Column("unsubscribe_token", String(64), nullable=False, unique=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # How a manager finds the member (the console's search): lower case, E.164.
    Column("email_lookup", String(320), nullable=True, index=True),
    Column("phone_lookup", String(20), nullable=True, index=True),
)

templates = Table(
    "templates",
    metadata,
    Column("kind", String(50), primary_key=True),
    Column("language", String(5), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(200), primary_key=True),
    Column("member_id", String(200), nullable=False, index=True),
    Column("channel", String(10), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("address", String(400), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    Index("ix_deliveries_created_at", "created_at", postgresql_using="brin"),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

# Members who were erased, by a digest of their id: later news of them is dropped.
erased_members = erased_members_table(metadata)

# Sign-in links already used (a member token's id, or its digest when it has none), until the
# token expires: a link works once. No member id is kept: nothing here to erase.
used_sign_ins = Table(
    "used_sign_ins",
    metadata,
    Column("token_id", String(100), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)
