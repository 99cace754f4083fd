"""bookings: PENDING until the citizen confirms from the mailed link; keyed hashes of e-mail and phone for limits

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:20:00

`services.confirmation_required` makes a citizen's new booking PENDING until `confirmBooking`, by
`bookings.confirm_by`; the worker cancels the lapsed ones and gives their seats back. PENDING holds its
code and its seat like BOOKED, so the open-code index and the per-citizen index now include it.
`email_hash` and `phone_hash` are keyed hashes of the normalised contact details (like `document_hash`,
never a plain copy): per-citizen limits count a booking matching any of the three. Older bookings keep
them null (the secret key is not the migration's to read): they count by document only until they end.

ALTER TYPE ... ADD VALUE must commit before the value is used (and before PostgreSQL 12 could not run in a
transaction block at all): it runs in its own autocommit block, and what uses 'PENDING' runs after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('PENDING', 'BOOKED', 'CHECKED_IN')"
ACTIVE = "status IN ('PENDING', 'BOOKED')"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE booking_status ADD VALUE IF NOT EXISTS 'PENDING' BEFORE 'BOOKED'")
    op.add_column(
        "services", sa.Column("confirmation_required", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("bookings", sa.Column("confirm_by", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bookings", sa.Column("email_hash", sa.LargeBinary(32), nullable=True))
    op.add_column("bookings", sa.Column("phone_hash", sa.LargeBinary(32), nullable=True))
    op.drop_index("uq_bookings_open_code", table_name="bookings")
    op.create_index("uq_bookings_open_code", "bookings", ["code"], unique=True, postgresql_where=sa.text(OPEN))
    op.drop_index("ix_bookings_citizen_service", table_name="bookings")
    for name, column in (
        ("ix_bookings_citizen_service", "document_hash"),
        ("ix_bookings_email_service", "email_hash"),
        ("ix_bookings_phone_service", "phone_hash"),
    ):
        op.create_index(name, "bookings", [column, "service_id"], postgresql_where=sa.text(ACTIVE))
    op.create_index(
        "ix_bookings_confirm_due", "bookings", ["confirm_by"], postgresql_where=sa.text("status = 'PENDING'")
    )


def downgrade() -> None:
    # an enum value cannot be dropped: PENDING bookings become CANCELLED and the value stays unused
    op.execute(
        "UPDATE slots SET booked = booked - p.n FROM (SELECT slot_id, count(*) AS n FROM bookings"
        " WHERE status = 'PENDING' GROUP BY slot_id) AS p WHERE slots.id = p.slot_id"
    )
    op.execute("UPDATE bookings SET status = 'CANCELLED' WHERE status = 'PENDING'")
    op.drop_index("ix_bookings_confirm_due", table_name="bookings")
    for name in ("ix_bookings_phone_service", "ix_bookings_email_service", "ix_bookings_citizen_service"):
        op.drop_index(name, table_name="bookings")
    op.create_index(
        "ix_bookings_citizen_service",
        "bookings",
        ["document_hash", "service_id"],
        postgresql_where=sa.text("status = 'BOOKED'"),
    )
    op.drop_index("uq_bookings_open_code", table_name="bookings")
    op.create_index(
        "uq_bookings_open_code",
        "bookings",
        ["code"],
        unique=True,
        postgresql_where=sa.text("status IN ('BOOKED', 'CHECKED_IN')"),
    )
    op.drop_column("bookings", "phone_hash")
    op.drop_column("bookings", "email_hash")
    op.drop_column("bookings", "confirm_by")
    op.drop_column("services", "confirmation_required")
