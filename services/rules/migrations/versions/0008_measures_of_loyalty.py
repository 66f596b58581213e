"""what the program report's measures of loyalty read: activities, tiers and category counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:00:00

NPS and engagement need members' activities (reviews, surveys, NPS answers, app use): one row
per ``member.activity`` from now on. Customer lifetime value per tier and category breadth need
each member's tier and number of categories bought as columns; existing states fill them in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(200), nullable=False, unique=True),
        sa.Column("member_id", sa.String(200), nullable=False),
        sa.Column("activity", sa.String(40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_activities_member_id", "activities", ["member_id"])
    op.create_index("ix_activities_occurred_at", "activities", ["occurred_at"])
    with op.batch_alter_table("member_states") as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(50), nullable=True))
        batch_op.add_column(sa.Column("categories", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE member_states SET tier = state->>'tier',"
            " categories = COALESCE(json_array_length(state->'categories_bought'), 0)"
        )
    else:
        op.execute(
            "UPDATE member_states SET tier = json_extract(state, '$.tier'),"
            " categories = COALESCE(json_array_length(state, '$.categories_bought'), 0)"
        )


def downgrade() -> None:
    with op.batch_alter_table("member_states") as batch_op:
        batch_op.drop_column("categories")
        batch_op.drop_column("tier")
    op.drop_index("ix_activities_occurred_at", table_name="activities")
    op.drop_index("ix_activities_member_id", table_name="activities")
    op.drop_table("activities")
