"""the audit trail of staff, partner and device mutations

Revision ID: 0025_audit_trail
Revises: 0024_personal_data_retention
Create Date: 2026-12-03 18:00:00

One row per mutation by a staff user, a partner or a device: who (kind, id, role), what (the operation and
the ids it named or returned), when, from which address, and the outcome. No foreign keys (an entry outlives
what it names) and no citizen's personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_audit_trail"
down_revision: str | None = "0024_personal_data_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=80), nullable=False),
        sa.Column("record_ids", postgresql.ARRAY(sa.String(length=120)), server_default="{}", nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.CheckConstraint("actor_kind IN ('STAFF', 'PARTNER', 'DEVICE')", name=op.f("ck_audit_entries_actor_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at", "id"])
    op.create_index("ix_audit_entries_actor", "audit_entries", ["actor_kind", "actor_id", "at"])
    op.create_index("ix_audit_entries_operation", "audit_entries", ["operation", "at"])
    op.create_index("ix_audit_entries_record_ids", "audit_entries", ["record_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("audit_entries")
