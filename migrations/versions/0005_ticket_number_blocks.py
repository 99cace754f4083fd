"""ticket number blocks reserved by kiosks for offline walk-ins

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_number_blocks",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.BigInteger(), nullable=False),
        sa.Column("office_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_number", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "first_number > 0 AND last_number >= first_number", name=op.f("ck_ticket_number_blocks_numbers_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device_tokens.id"],
            name=op.f("fk_ticket_number_blocks_device_id_device_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_ticket_number_blocks_office_id_offices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_number_blocks")),
    )
    op.create_index("ix_ticket_number_blocks_device_day", "ticket_number_blocks", ["device_id", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_number_blocks_device_day", table_name="ticket_number_blocks")
    op.drop_table("ticket_number_blocks")
