"""entries keep the ledger's own explanations (a reward, a refund) in each language members
read, so a statement is in the member's language

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:40:00

A column added, nothing rewritten: the append-only triggers stay as they are (ADD COLUMN and
DROP COLUMN are not row updates, on PostgreSQL or SQLite 3.35+).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("entries", sa.Column("explanations", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("entries", "explanations")
