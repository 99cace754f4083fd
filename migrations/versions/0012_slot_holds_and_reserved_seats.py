"""holds on slots, and seats kept for the phone line and the desk

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:30:00

A hold takes a seat while a citizen fills in the form; only holds whose expires_at is still ahead count, so
an expired hold gives its seat back without any job. Agendas gain reserved_seats (default 0) and
reserved_until_hours (default 24): seats of each slot that only PHONE and DESK bookings may take until that
many hours before the slot starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agendas", sa.Column("reserved_seats", sa.Integer(), server_default="0", nullable=False))
    op.add_column("agendas", sa.Column("reserved_until_hours", sa.Integer(), server_default="24", nullable=False))
    op.create_check_constraint(
        op.f("ck_agendas_reserved_within_capacity"), "agendas", "reserved_seats >= 0 AND reserved_seats <= capacity"
    )
    op.create_check_constraint(op.f("ck_agendas_reserved_until_not_negative"), "agendas", "reserved_until_hours >= 0")
    op.create_table(
        "slot_holds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("address_hash", sa.LargeBinary(), nullable=True),
        sa.Column("document_hash", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name="fk_slot_holds_slot_id_slots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_slot_holds"),
        sa.UniqueConstraint("token_hash", name="uq_slot_holds_token_hash"),
    )
    op.create_index("ix_slot_holds_slot_expires", "slot_holds", ["slot_id", "expires_at"])
    op.create_index("ix_slot_holds_address_expires", "slot_holds", ["address_hash", "expires_at"])
    op.create_index("ix_slot_holds_document_expires", "slot_holds", ["document_hash", "expires_at"])


def downgrade() -> None:
    op.drop_table("slot_holds")
    op.drop_constraint(op.f("ck_agendas_reserved_until_not_negative"), "agendas", type_="check")
    op.drop_constraint(op.f("ck_agendas_reserved_within_capacity"), "agendas", type_="check")
    op.drop_column("agendas", "reserved_until_hours")
    op.drop_column("agendas", "reserved_seats")
