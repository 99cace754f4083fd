"""release draws: a service's releasePolicy and drawMinutes, draws and their entries, slots hidden until drawn,
and the waitlist's weekday and time-of-day preferences

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 20:15:00

Under DRAW, a release opens a draw (one open per service) and marks its new slots with `draw_id`: availability
and every seat taker skip such slots until the draw job has run and cleared the column. The draw keeps its seed
and the seats it drew, so that it can be replayed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RELEASE_POLICY = postgresql.ENUM("FIRST_COME", "DRAW", name="release_policy", create_type=False)
DRAW_STATUS = postgresql.ENUM("OPEN", "DRAWN", name="draw_status", create_type=False)
ENTRY_STATUS = postgresql.ENUM(
    "ENTERED", "WON", "WAITLISTED", "WITHDRAWN", "INELIGIBLE", name="draw_entry_status", create_type=False
)


def upgrade() -> None:
    bind = op.get_bind()
    for kind in (RELEASE_POLICY, DRAW_STATUS, ENTRY_STATUS):
        kind.create(bind, checkfirst=False)
    op.add_column("services", sa.Column("release_policy", RELEASE_POLICY, server_default="FIRST_COME", nullable=False))
    op.add_column("services", sa.Column("draw_minutes", sa.Integer(), server_default="60", nullable=False))
    op.create_check_constraint(op.f("ck_services_draw_minutes_range"), "services", "draw_minutes BETWEEN 5 AND 10080")
    op.create_table(
        "draws",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", DRAW_STATUS, server_default="OPEN", nullable=False),
        sa.Column("seed", sa.LargeBinary(32), nullable=True),
        sa.Column("seats", postgresql.JSONB(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("opens_at < closes_at", name=op.f("ck_draws_opens_before_closes")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_draws_service_id_services", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_draws"),
    )
    op.create_index(
        "uq_draws_open_service", "draws", ["service_id"], unique=True, postgresql_where=sa.text("status = 'OPEN'")
    )
    op.create_index("ix_draws_open_closes", "draws", ["closes_at"], postgresql_where=sa.text("status = 'OPEN'"))
    op.add_column("slots", sa.Column("draw_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key("fk_slots_draw_id_draws", "slots", "draws", ["draw_id"], ["id"])
    op.create_index("ix_slots_draw", "slots", ["draw_id"], postgresql_where=sa.text("draw_id IS NOT NULL"))
    op.create_table(
        "draw_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("draw_id", sa.BigInteger(), nullable=False),
        sa.Column("office_ids", postgresql.ARRAY(sa.BigInteger()), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("earliest", sa.Time(), nullable=True),
        sa.Column("latest", sa.Time(), nullable=True),
        sa.Column("status", ENTRY_STATUS, server_default="ENTERED", nullable=False),
        sa.Column("citizen_name", sa.String(200), nullable=False),
        sa.Column("citizen_email", sa.String(254), nullable=True),
        sa.Column("citizen_phone", sa.String(20), nullable=True),
        sa.Column("citizen_locale", sa.String(10), server_default="es", nullable=False),
        sa.Column("document_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("document_hint", sa.String(8), nullable=False),
        sa.Column("email_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("phone_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("address_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("manage_nonce", sa.LargeBinary(16), nullable=False),
        sa.Column("manage_token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=True),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("waitlist_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("to_date >= from_date", name=op.f("ck_draw_entries_dates_in_order")),
        sa.CheckConstraint(
            "char_length(citizen_name) BETWEEN 1 AND 200", name=op.f("ck_draw_entries_citizen_name_length")
        ),
        sa.UniqueConstraint("manage_token_hash", name="uq_draw_entries_manage_token_hash"),
        sa.ForeignKeyConstraint(["draw_id"], ["draws.id"], name="fk_draw_entries_draw_id_draws", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name="fk_draw_entries_slot_id_slots"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name="fk_draw_entries_booking_id_bookings"),
        sa.ForeignKeyConstraint(
            ["waitlist_entry_id"], ["waitlist_entries.id"], name="fk_draw_entries_waitlist_entry_id_waitlist_entries"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_draw_entries"),
    )
    live = "status <> 'WITHDRAWN'"
    op.create_index(
        "uq_draw_entries_document",
        "draw_entries",
        ["draw_id", "document_hash"],
        unique=True,
        postgresql_where=sa.text(live),
    )
    op.create_index(
        "uq_draw_entries_email",
        "draw_entries",
        ["draw_id", "email_hash"],
        unique=True,
        postgresql_where=sa.text(f"{live} AND email_hash IS NOT NULL"),
    )
    op.create_index(
        "uq_draw_entries_phone",
        "draw_entries",
        ["draw_id", "phone_hash"],
        unique=True,
        postgresql_where=sa.text(f"{live} AND phone_hash IS NOT NULL"),
    )
    op.create_index("ix_draw_entries_address", "draw_entries", ["draw_id", "address_hash"])
    op.add_column("waitlist_entries", sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger()), nullable=True))
    op.add_column("waitlist_entries", sa.Column("earliest", sa.Time(), nullable=True))
    op.add_column("waitlist_entries", sa.Column("latest", sa.Time(), nullable=True))


def downgrade() -> None:
    op.drop_column("waitlist_entries", "latest")
    op.drop_column("waitlist_entries", "earliest")
    op.drop_column("waitlist_entries", "weekdays")
    op.drop_table("draw_entries")
    op.drop_index("ix_slots_draw", table_name="slots")
    op.drop_constraint("fk_slots_draw_id_draws", "slots", type_="foreignkey")
    op.drop_column("slots", "draw_id")
    op.drop_table("draws")
    op.drop_constraint("ck_services_draw_minutes_range", "services", type_="check")
    op.drop_column("services", "draw_minutes")
    op.drop_column("services", "release_policy")
    bind = op.get_bind()
    for kind in (ENTRY_STATUS, DRAW_STATUS, RELEASE_POLICY):
        kind.drop(bind, checkfirst=False)
