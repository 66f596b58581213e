"""used sign-in links: a wallet sign-in link works once

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00

The id of each member token exchanged for a wallet session, until the token expires.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_sign_ins",
        sa.Column("token_id", sa.String(100), primary_key=True),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_used_sign_ins_expires_at", "used_sign_ins", ["expires_at"])


def downgrade() -> None:
    op.drop_table("used_sign_ins")
