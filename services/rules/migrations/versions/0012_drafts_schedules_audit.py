"""rule drafts, versions scheduled to take effect later, and the audit trail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 20:00:00

Versions saved before have no ``effective_at``: they took effect when they were saved.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("effective_at", UtcDateTime(), nullable=True))
    op.create_table(
        "drafts",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("object_id", sa.String(100), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("saved_at", UtcDateTime(), nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False),
    )
    create_audit()


def create_audit() -> None:
    """The audit table (shared.audit.audit_table), as each service creates it."""
    op.create_table(
        "audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_audit_kind_object", "audit", ["kind", "object_id"])


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("drafts")
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("effective_at")
