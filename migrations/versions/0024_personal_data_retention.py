"""personal data retention: anonymised rows are marked, and the rows still to anonymise are indexed

Revision ID: 0024_personal_data_retention
Revises: 0023_webhook_event_order
Create Date: 2026-12-03 18:00:00

The nightly retention run (resolvers/privacy/retention.py) and eraseCitizen clear the personal columns of
bookings, tickets (with their remote_tickets), feedback, waitlist and draw entries and set `anonymised_at`; the
partial indexes hold only the rows not anonymised yet, so each night reads what is newly due, not the whole
past again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_personal_data_retention"
down_revision: str | None = "0023_webhook_event_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → the column the retention clock starts from
_DUE_BY = {
    "bookings": "ends_at",
    "tickets": "issued_at",
    "feedback": "created_at",
    "waitlist_entries": "to_date",
    "draw_entries": "to_date",
}


def upgrade() -> None:
    for table, column in _DUE_BY.items():
        op.add_column(table, sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        op.create_index(f"ix_{table}_to_anonymise", table, [column], postgresql_where=sa.text("anonymised_at IS NULL"))


def downgrade() -> None:
    for table in _DUE_BY:
        op.drop_index(f"ix_{table}_to_anonymise", table_name=table)
        op.drop_column(table, "anonymised_at")
