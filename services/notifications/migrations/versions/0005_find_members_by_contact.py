"""find members by contact: a manager finds a member by email address or phone number

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:00:00

Two indexed columns beside the preferences' JSON: the email address in lower case and the
phone number (E.164), filled from the preferences already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

preferences = sa.table(
    "preferences",
    sa.column("member_id", sa.String),
    sa.column("prefs", sa.JSON),
    sa.column("email_lookup", sa.String),
    sa.column("phone_lookup", sa.String),
)


def upgrade() -> None:
    op.add_column("preferences", sa.Column("email_lookup", sa.String(320), nullable=True))
    op.add_column("preferences", sa.Column("phone_lookup", sa.String(20), nullable=True))
    op.create_index("ix_preferences_email_lookup", "preferences", ["email_lookup"])
    op.create_index("ix_preferences_phone_lookup", "preferences", ["phone_lookup"])
    connection = op.get_bind()
    rows = connection.execute(sa.select(preferences.c.member_id, preferences.c.prefs)).all()
    for member_id, prefs in rows:
        email, phone = (prefs or {}).get("email"), (prefs or {}).get("phone")
        if email or phone:
            connection.execute(
                preferences.update()
                .where(preferences.c.member_id == member_id)
                .values(email_lookup=email.strip().lower() if email else None, phone_lookup=phone)
            )


def downgrade() -> None:
    op.drop_index("ix_preferences_phone_lookup", "preferences")
    op.drop_index("ix_preferences_email_lookup", "preferences")
    op.drop_column("preferences", "phone_lookup")
    op.drop_column("preferences", "email_lookup")
