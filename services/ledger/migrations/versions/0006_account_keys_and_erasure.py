"""the books name accounts by an opaque key, not the member's id; erased members

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:10:00

A member's right to erasure meets append-only books: entries and operations now carry the
member's account key (random, ``~`` and hex), and only the member's balance row ties the key
to the member's id; erasure rewrites that row, never the books. This migration is the one
time the books are rewritten: each existing entry and operation takes its member's key (the
append-only triggers are lifted for it and put back in the same transaction).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("entries", "operations")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("balances", sa.Column("account_key", sa.String(200), nullable=True))
    if postgres:
        op.execute(
            "UPDATE balances SET account_key = '~' || replace(gen_random_uuid()::text, '-', '')"
        )
    else:
        op.execute("UPDATE balances SET account_key = '~' || lower(hex(randomblob(16)))")
    if postgres:
        op.alter_column("balances", "account_key", nullable=False)
    op.create_index("uq_balances_account_key", "balances", ["account_key"], unique=True)
    _lift_append_only(postgres)
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN member_id TO account_key")
    op.execute(
        "UPDATE entries SET account_key = b.account_key,"
        " debit_account = replace(entries.debit_account,"
        " 'member:' || b.member_id || ':', 'member:' || b.account_key || ':'),"
        " credit_account = replace(entries.credit_account,"
        " 'member:' || b.member_id || ':', 'member:' || b.account_key || ':')"
        " FROM balances b WHERE b.member_id = entries.account_key"
    )
    op.execute(
        "UPDATE operations SET account_key = b.account_key"
        " FROM balances b WHERE b.member_id = operations.account_key"
    )
    _restore_append_only(postgres)
    op.drop_index("ix_entries_member_id_id", table_name="entries")
    op.create_index("ix_entries_account_key_id", "entries", ["account_key", "id"])
    op.create_table(
        "erased_members",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("erased_at", shared.db.UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("erased_members")
    op.drop_index("ix_entries_account_key_id", table_name="entries")
    _lift_append_only(postgres)
    op.execute(
        "UPDATE entries SET account_key = b.member_id,"
        " debit_account = replace(entries.debit_account,"
        " 'member:' || b.account_key || ':', 'member:' || b.member_id || ':'),"
        " credit_account = replace(entries.credit_account,"
        " 'member:' || b.account_key || ':', 'member:' || b.member_id || ':')"
        " FROM balances b WHERE b.account_key = entries.account_key"
    )
    op.execute(
        "UPDATE operations SET account_key = b.member_id"
        " FROM balances b WHERE b.account_key = operations.account_key"
    )
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN account_key TO member_id")
    _restore_append_only(postgres)
    op.create_index("ix_entries_member_id_id", "entries", ["member_id", "id"])
    op.drop_index("uq_balances_account_key", table_name="balances")
    with op.batch_alter_table("balances") as batch_op:
        batch_op.drop_column("account_key")


def _lift_append_only(postgres: bool) -> None:
    for table in _TABLES:
        if postgres:
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{verb}")


def _restore_append_only(postgres: bool) -> None:
    for table in _TABLES:
        if postgres:
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            continue
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'ledger {table} are append-only: {verb} refused'); END"
            )
