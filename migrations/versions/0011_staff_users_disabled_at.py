"""accounts: a staff user can be disabled (disableStaff): no sign-in, no session, no open socket

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 05:20:00

The row stays (bookings' history and grants point at it); `disabled_at` marks it. Authentication reads it
with every session, so a disabled user's outstanding tokens stop working at once even if a session row
were left behind.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("staff_users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("staff_users", "disabled_at")
