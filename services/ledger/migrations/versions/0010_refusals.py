"""refusals of keyed requests, kept like their successes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:00:00

A new table; nothing else changes. A redemption refused for too few points, or a reward not
to be had, is kept under its operation id, so that a later request with the same key gets the
same refusal (found by the chaos run: a stalled replica carried out a stale request after
the till's retry had been refused).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("operation_id", sa.String(250), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("error", sa.String(50), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("refused_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refusals")
