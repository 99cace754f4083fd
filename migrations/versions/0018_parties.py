"""a family in one booking: party sizes, companions, holds of several seats

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:15:00

A service says how many people one booking may bring (max_party_size); a booking records how many seats it
took (party_size) and its companions, whose documents, e-mails and phones are kept only as keyed hashes for
the per-citizen limits. A hold keeps `seats` seats; every count of held seats sums them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("services", sa.Column("max_party_size", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_services_max_party_size_range"), "services", "max_party_size BETWEEN 1 AND 10")
    op.add_column("bookings", sa.Column("party_size", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_bookings_party_size_positive"), "bookings", "party_size >= 1")
    op.add_column("slot_holds", sa.Column("seats", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_slot_holds_seats_positive"), "slot_holds", "seats >= 1")
    op.create_table(
        "booking_companions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("document_hint", sa.String(8), nullable=False),
        sa.Column("email_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("phone_hash", sa.LargeBinary(32), nullable=True),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="ck_booking_companions_name_length"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_companions_booking_id_bookings", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_companions"),
    )
    op.create_index("ix_booking_companions_booking_id", "booking_companions", ["booking_id"])
    op.create_index("ix_booking_companions_document", "booking_companions", ["document_hash"])
    op.create_index(
        "ix_booking_companions_email",
        "booking_companions",
        ["email_hash"],
        postgresql_where=sa.text("email_hash IS NOT NULL"),
    )
    op.create_index(
        "ix_booking_companions_phone",
        "booking_companions",
        ["phone_hash"],
        postgresql_where=sa.text("phone_hash IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("booking_companions")
    op.drop_constraint("ck_slot_holds_seats_positive", "slot_holds", type_="check")
    op.drop_column("slot_holds", "seats")
    op.drop_constraint("ck_bookings_party_size_positive", "bookings", type_="check")
    op.drop_column("bookings", "party_size")
    op.drop_constraint("ck_services_max_party_size_range", "services", type_="check")
    op.drop_column("services", "max_party_size")
