"""The rules service's tables. Alembic migrations are written against this metadata."""

from sqlalchemy import Column, MetaData, String, Table

from shared.db import UtcDateTime
from shared.outbox import outbox_table

metadata = MetaData()

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("member_id", String(200), nullable=False, index=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
