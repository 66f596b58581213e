"""The ledger's tables. Entries are append-only: migration 0001 adds triggers that refuse
UPDATE and DELETE on ``entries`` in PostgreSQL and SQLite alike."""

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from shared.db import UtcDateTime
from shared.outbox import outbox_table

metadata = MetaData()

entries = Table(
    "entries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("entry_id", String(200), nullable=False, unique=True),
    Column("member_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("debit_account", String(250), nullable=False),
    Column("credit_account", String(250), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("explanation", String(500), nullable=False),
    Column("source_event_id", String(200), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_entries_member_id_id", "member_id", "id"),
)

balances = Table(
    "balances",
    metadata,
    Column("member_id", String(200), primary_key=True),
    Column("available", BigInteger, nullable=False),
    Column("pending", BigInteger, nullable=False),
    Column("lifetime_earned", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
