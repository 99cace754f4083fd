"""the remote queue: joining the line from home, and walk-ins waiting outside a full building

Revision ID: 0022_remote_queue
Revises: 0021_booking_lookup_hashes
Create Date: 2026-12-03 13:30:00

An office may let citizens join its line from home (`offices.remote_queue`); they are told to come in when they
are `remote_head_in_places` from the front. A remote ticket is an ordinary WAITING ticket that callNext passes
over (`tickets.remote`) until its holder checks in with `remote_code`; `head_in_at` says when they were told to
come. Who waits outside, and when the line reached them, is in `remote_tickets`. `ARRIVED` logs the check-in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_remote_queue"
down_revision: str | None = "0021_booking_lookup_hashes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a new label can be added in a transaction (PostgreSQL 12+), though not used in the same one
    op.execute("ALTER TYPE queue_event_type ADD VALUE IF NOT EXISTS 'ARRIVED'")
    op.add_column("offices", sa.Column("remote_queue", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("offices", sa.Column("remote_head_in_places", sa.Integer(), server_default="3", nullable=False))
    op.create_check_constraint(
        op.f("ck_offices_remote_head_in_places_range"), "offices", "remote_head_in_places BETWEEN 1 AND 100"
    )
    op.add_column("tickets", sa.Column("remote", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("tickets", sa.Column("remote_code", sa.String(length=8), nullable=True))
    op.add_column("tickets", sa.Column("head_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_tickets_remote_waiting",
        "tickets",
        ["office_id", "due_at", "id"],
        postgresql_where=sa.text("remote AND status = 'WAITING'"),
    )
    op.create_index(
        "uq_tickets_remote_code",
        "tickets",
        ["office_id", "day", "remote_code"],
        unique=True,
        postgresql_where=sa.text("remote_code IS NOT NULL"),
    )
    op.create_table(
        "remote_tickets",
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=4), nullable=False),
        sa.Column("citizen_name", sa.String(length=200), nullable=True),
        sa.Column("citizen_email", sa.String(length=254), nullable=True),
        sa.Column("citizen_phone", sa.String(length=20), nullable=True),
        sa.Column("citizen_locale", sa.String(length=5), server_default="es", nullable=False),
        sa.Column("email_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("phone_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("front_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("origin IN ('HOME', 'DOOR')", name=op.f("ck_remote_tickets_origin_known")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_remote_tickets_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_remote_tickets")),
    )
    op.create_index(
        "ix_remote_tickets_email",
        "remote_tickets",
        ["email_hash"],
        postgresql_where=sa.text("email_hash IS NOT NULL"),
    )
    op.create_index(
        "ix_remote_tickets_phone",
        "remote_tickets",
        ["phone_hash"],
        postgresql_where=sa.text("phone_hash IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_remote_tickets_phone", table_name="remote_tickets")
    op.drop_index("ix_remote_tickets_email", table_name="remote_tickets")
    op.drop_table("remote_tickets")
    op.drop_index("uq_tickets_remote_code", table_name="tickets")
    op.drop_index("ix_tickets_remote_waiting", table_name="tickets")
    op.drop_column("tickets", "head_in_at")
    op.drop_column("tickets", "remote_code")
    op.drop_column("tickets", "remote")
    op.drop_constraint(op.f("ck_offices_remote_head_in_places_range"), "offices", type_="check")
    op.drop_column("offices", "remote_head_in_places")
    op.drop_column("offices", "remote_queue")
    # PostgreSQL cannot drop an enum label: ARRIVED stays (nothing writes it once the code is gone)
