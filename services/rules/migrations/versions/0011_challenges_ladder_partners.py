"""challenges and badges, the loyalty ladder's stages and moves, partners and who funds points

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:00:00

New tables only: member states written before have no progress, badges or stage; the next
event (or the daily pass) places them on the ladder.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _versioned(name: str, key: str) -> None:
    op.create_table(
        name,
        sa.Column(key, sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    _versioned("challenges", "challenge_id")
    _versioned("partners", "partner_id")
    _versioned("ladders", "ladder_id")
    op.create_table(
        "challenge_members",
        sa.Column("challenge_id", sa.String(100), primary_key=True),
        sa.Column("member_id", sa.String(200), primary_key=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "stage_moves",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.String(200), nullable=False),
        sa.Column("previous", sa.String(50), nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_stage_moves_member_at", "stage_moves", ["member_id", "at"])
    # Who pays for the points (a partner; NULL: the program), for the partners' settlement.
    op.add_column("award_totals", sa.Column("funded_by", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("award_totals", "funded_by")
    for name in ("stage_moves", "challenge_members", "ladders", "partners", "challenges"):
        op.drop_table(name)
