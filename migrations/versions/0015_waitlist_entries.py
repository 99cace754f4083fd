"""waitlist: people who want a procedure with no free seat, in the order they asked

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:40:00

One live entry (WAITING or OFFERED) per person and procedure; a freed seat looks for the first WAITING entry
of its procedure by id. Citizens' details as on bookings: the document only as a keyed hash and a hint.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = postgresql.ENUM("WAITING", "OFFERED", "BOOKED", "EXPIRED", "LEFT", name="waitlist_status", create_type=False)


def upgrade() -> None:
    STATUS.create(op.get_bind(), checkfirst=False)
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("office_ids", postgresql.ARRAY(sa.BigInteger()), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("status", STATUS, server_default="WAITING", nullable=False),
        sa.Column("citizen_name", sa.String(200), nullable=False),
        sa.Column("citizen_email", sa.String(254), nullable=True),
        sa.Column("citizen_phone", sa.String(20), nullable=True),
        sa.Column("citizen_locale", sa.String(10), server_default="es", nullable=False),
        sa.Column("document_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("document_hint", sa.String(8), nullable=False),
        sa.Column("manage_nonce", sa.LargeBinary(16), nullable=False),
        sa.Column("manage_token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("offer_slot_id", sa.BigInteger(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("to_date >= from_date", name="ck_waitlist_entries_dates_in_order"),
        sa.CheckConstraint(
            "char_length(citizen_name) BETWEEN 1 AND 200", name="ck_waitlist_entries_citizen_name_length"
        ),
        sa.UniqueConstraint("manage_token_hash", name="uq_waitlist_entries_manage_token_hash"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name="fk_waitlist_entries_service_id_services"),
        sa.ForeignKeyConstraint(["offer_slot_id"], ["slots.id"], name="fk_waitlist_entries_offer_slot_id_slots"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name="fk_waitlist_entries_booking_id_bookings"),
        sa.PrimaryKeyConstraint("id", name="pk_waitlist_entries"),
    )
    op.create_index(
        "uq_waitlist_entries_live_person",
        "waitlist_entries",
        ["service_id", "document_hash"],
        unique=True,
        postgresql_where=sa.text("status IN ('WAITING', 'OFFERED')"),
    )
    op.create_index(
        "ix_waitlist_entries_waiting",
        "waitlist_entries",
        ["service_id", "id"],
        postgresql_where=sa.text("status = 'WAITING'"),
    )


def downgrade() -> None:
    op.drop_table("waitlist_entries")
    STATUS.drop(op.get_bind(), checkfirst=False)
