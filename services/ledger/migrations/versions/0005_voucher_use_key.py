"""remember the idempotency key a voucher was used with, so a till's retry is not a second use

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vouchers") as batch_op:
        batch_op.add_column(sa.Column("used_key", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vouchers") as batch_op:
        batch_op.drop_column("used_key")
