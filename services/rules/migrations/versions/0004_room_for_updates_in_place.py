"""leave room in the pages of the row every event updates, so updates stay in place

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:00:00

Every event rewrites its member's `member_states` row. With full pages PostgreSQL writes the new
version elsewhere and adds it to every index of the table; with room left on the page (a
fill factor of 70) it updates in place ("HOT"), touching no index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE member_states SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE member_states RESET (fillfactor)")
