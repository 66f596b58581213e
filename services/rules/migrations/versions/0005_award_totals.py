"""award totals per rule and day instead of a row per award

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 11:10:00

The program report only ever summed the awards log by rule and driver over a period of days.
A row per award was the costliest write of the rules' chunk after the outbox; each chunk now
adds one row per UTC day, rule and driver it touched. The log's sums move over; the log goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "award_totals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("driver", sa.String(length=40), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("awards", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_award_totals_day", "award_totals", ["day"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "(occurred_at AT TIME ZONE 'UTC')::date" if postgres else "date(occurred_at)"
    totals = f"SELECT {day}, rule_id, driver, sum(points), count(*) FROM awards"  # noqa: S608
    op.execute(
        "INSERT INTO award_totals (day, rule_id, driver, points, awards) "
        + totals
        + f" GROUP BY {day}, rule_id, driver"
    )
    op.drop_index("ix_awards_occurred_at", table_name="awards")
    op.drop_table("awards")


def downgrade() -> None:
    # The log's rows cannot come back from their sums: the table comes back empty.
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
    op.drop_index("ix_award_totals_day", table_name="award_totals")
    op.drop_table("award_totals")
