"""exchange rates: purchases in another currency than the program's are counted in the program's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:30:00

One rate per currency and day (the program's currency for one unit). No existing row changes:
purchases recorded before kept the amount they were sent with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("rate", sa.Numeric(24, 10), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exchange_rates")
