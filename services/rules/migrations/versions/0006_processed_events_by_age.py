"""processed events found by age, so the oldest can be forgotten

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 14:20:00

The rules keep the id of every event they processed to drop repeats; an event older than the
window of plausible event times (400 days) is refused anyway, so its record can go. A BRIN
index (PostgreSQL) finds the old ones at almost no cost to the inserts: rows arrive in time
order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_processed_events_processed_at",
        "processed_events",
        ["processed_at"],
        postgresql_using="brin",
    )


def downgrade() -> None:
    op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
