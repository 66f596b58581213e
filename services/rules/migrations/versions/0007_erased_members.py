"""erased members, by a digest of their id

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 16:00:00

An erased member's later events are refused, not taken as a new member: the rules keep a
SHA-256 digest of the id and when (shared.erasure).
"""

from collections.abc import Sequence

from alembic import op

from shared.erasure import create_erased_members

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_erased_members(op)


def downgrade() -> None:
    op.drop_table("erased_members")
