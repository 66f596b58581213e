"""tiers' names per language, as members read them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 20:20:00

Tiers saved before have none: members read the tier's own name until a manager writes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tiers") as batch:
        batch.add_column(sa.Column("names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tiers") as batch:
        batch.drop_column("names")
