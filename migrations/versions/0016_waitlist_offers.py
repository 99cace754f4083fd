"""waitlist offers: the hold an offered entry's seat is kept by

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 11:00:00

An OFFERED entry points at the hold that keeps its seat (slot_holds), so that accepting uses it and a decline
or the expiry passes that very seat on. The expiry job finds due offers by a partial index. A hold marked
`rerelease` is nobody's: a freed seat kept back for the re-release delay, offered to whoever joins the waitlist
for it meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("slot_holds", sa.Column("rerelease", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("waitlist_entries", sa.Column("offer_hold_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "fk_waitlist_entries_offer_hold_id_slot_holds",
        "waitlist_entries",
        "slot_holds",
        ["offer_hold_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_waitlist_entries_offered",
        "waitlist_entries",
        ["offer_expires_at"],
        postgresql_where=sa.text("status = 'OFFERED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_waitlist_entries_offered", table_name="waitlist_entries")
    op.drop_constraint("fk_waitlist_entries_offer_hold_id_slot_holds", "waitlist_entries", type_="foreignkey")
    op.drop_column("waitlist_entries", "offer_hold_id")
    op.drop_column("slot_holds", "rerelease")
