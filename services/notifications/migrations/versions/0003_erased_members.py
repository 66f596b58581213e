"""erased members, by a digest of their id

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 16:00:00

An erased member's later messages are dropped and requests refused: the service keeps a
SHA-256 digest of the id and when (shared.erasure).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_members",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("erased_at", shared.db.UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erased_members")
