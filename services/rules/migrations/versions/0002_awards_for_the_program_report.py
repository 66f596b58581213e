"""awards log and purchase amounts, for the program report

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "awards",
        sa.Column("award_id", sa.String(length=250), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("member_id", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("driver", sa.String(length=40), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("award_id"),
    )
    op.create_index("ix_awards_occurred_at", "awards", ["occurred_at"], unique=False)
    with op.batch_alter_table("purchases") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("paid", sa.Numeric(precision=14, scale=2), nullable=True))
        batch.create_index("ix_purchases_occurred_at", ["occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purchases") as batch:
        batch.drop_index("ix_purchases_occurred_at")
        batch.drop_column("paid")
        batch.drop_column("currency")
    op.drop_index("ix_awards_occurred_at", table_name="awards")
    op.drop_table("awards")
