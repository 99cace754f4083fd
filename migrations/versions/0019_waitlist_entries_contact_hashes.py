"""waitlist entries: one live entry per person by e-mail and phone too; indexes for lapsed holds and offers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:10:00

A person is known by document, e-mail and phone on the waitlist as on bookings (resolvers/booking/identity.py):
the entry keeps keyed hashes of the normalised e-mail and phone, and a partial unique index on each (with the
document's, which was there) lets one live entry per person and procedure in, whichever key is shared. Entries
made before this migration have no contact hashes (it cannot read the secret key) and count by document only
until they end.

Citizens' holds that run out are found by their end (the lapsed-holds pass, resolvers/waitlist/lapsed_holds.py),
and an offer by its hold (deleting a hold nulls the entry's reference; the console counts offered seats).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('WAITING', 'OFFERED')")


def upgrade() -> None:
    op.add_column("waitlist_entries", sa.Column("email_hash", sa.LargeBinary(length=32), nullable=True))
    op.add_column("waitlist_entries", sa.Column("phone_hash", sa.LargeBinary(length=32), nullable=True))
    op.create_index(
        "uq_waitlist_entries_live_email",
        "waitlist_entries",
        ["service_id", "email_hash"],
        unique=True,
        postgresql_where=LIVE,
    )
    op.create_index(
        "uq_waitlist_entries_live_phone",
        "waitlist_entries",
        ["service_id", "phone_hash"],
        unique=True,
        postgresql_where=LIVE,
    )
    op.create_index(
        "ix_slot_holds_lapsing", "slot_holds", ["expires_at"], postgresql_where=sa.text("document_hash IS NULL")
    )
    op.create_index(
        "ix_waitlist_entries_offer_hold",
        "waitlist_entries",
        ["offer_hold_id"],
        postgresql_where=sa.text("offer_hold_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_waitlist_entries_offer_hold", table_name="waitlist_entries")
    op.drop_index("ix_slot_holds_lapsing", table_name="slot_holds")
    op.drop_index("uq_waitlist_entries_live_phone", table_name="waitlist_entries")
    op.drop_index("uq_waitlist_entries_live_email", table_name="waitlist_entries")
    op.drop_column("waitlist_entries", "phone_hash")
    op.drop_column("waitlist_entries", "email_hash")
