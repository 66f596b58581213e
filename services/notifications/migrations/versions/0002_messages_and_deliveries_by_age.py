"""inbox messages and deliveries found by age, so the old ones can be deleted

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:20:00

Messages and delivery logs hold members' personal data (addresses, texts); the service's job
deletes those older than their retention (NOTIFICATIONS_*_RETENTION_DAYS). BRIN indexes
(PostgreSQL) find them at almost no cost to the inserts: rows arrive in time order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_inbox_messages_created_at", "inbox_messages", ["created_at"], postgresql_using="brin"
    )
    op.create_index(
        "ix_deliveries_created_at", "deliveries", ["created_at"], postgresql_using="brin"
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_created_at", table_name="deliveries")
    op.drop_index("ix_inbox_messages_created_at", table_name="inbox_messages")
