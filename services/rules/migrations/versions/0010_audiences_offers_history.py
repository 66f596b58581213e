"""audiences, offers and their groups, the history drafts are replayed over, RFM boundaries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00

New tables only: member states written before have none of the new facts (purchases per day,
channels, NPS, audiences, offers) and read as empty; their windows fill as they buy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
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
    _versioned("audiences", "audience_id")
    _versioned("offers", "offer_id")
    op.create_table(
        "audience_members",
        sa.Column("audience_id", sa.String(100), primary_key=True),
        sa.Column("member_id", sa.String(200), primary_key=True),
        sa.Column("since", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "audience_moves",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("audience_id", sa.String(100), nullable=False),
        sa.Column("member_id", sa.String(200), nullable=False),
        sa.Column("entered", sa.Boolean(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_audience_moves_member_id", "audience_moves", ["member_id"])
    op.create_index("ix_audience_moves_audience_at", "audience_moves", ["audience_id", "at"])
    op.create_table(
        "offer_assignments",
        sa.Column("offer_id", sa.String(100), primary_key=True),
        sa.Column("member_id", sa.String(200), primary_key=True),
        sa.Column("grp", sa.String(10), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "history",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("member_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("member", sa.JSON(), nullable=False),
    )
    op.create_index("ix_history_member_id", "history", ["member_id"])
    op.create_index("ix_history_occurred_at", "history", ["occurred_at"], postgresql_using="brin")
    op.create_table(
        "rfm_cutpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cuts", sa.JSON(), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "rfm_cutpoints",
        "history",
        "offer_assignments",
        "audience_moves",
        "audience_members",
        "offers",
        "audiences",
    ):
        op.drop_table(name)
