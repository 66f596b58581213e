"""member prices: rewards an offer made cheaper for a member, while the offer runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:30:00

A new table; nothing else changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_prices",
        sa.Column("member_id", sa.String(200), primary_key=True),
        sa.Column("reward_id", sa.String(100), primary_key=True),
        sa.Column("offer_id", sa.String(100), primary_key=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_prices")
