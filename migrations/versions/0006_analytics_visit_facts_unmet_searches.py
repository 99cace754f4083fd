"""analytics: visit facts, unmet searches, office maximum occupancy

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offices", sa.Column("max_occupancy", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_offices_max_occupancy_positive"), "offices", "max_occupancy IS NULL OR max_occupancy > 0"
    )
    op.create_index("ix_bookings_starts", "bookings", ["starts_at"])
    op.create_index("ix_tickets_issued", "tickets", ["issued_at"])
    op.create_table(
        "visit_facts",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("office_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("local_hour", sa.SmallInteger(), nullable=False),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("came", sa.Boolean(), nullable=False),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("lead_seconds", sa.Integer(), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("service_seconds", sa.Integer(), nullable=True),
        sa.Column("estimated_wait_minutes", sa.Integer(), nullable=True),
        sa.Column("called_after_seconds", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('B', 'T')", name=op.f("ck_visit_facts_kind_known")),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_visit_facts_office_id_offices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_visit_facts_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("kind", "source_id", name=op.f("pk_visit_facts")),
    )
    op.create_index("ix_visit_facts_local_date", "visit_facts", ["local_date"])
    op.create_index("ix_visit_facts_office_local_date", "visit_facts", ["office_id", "local_date"])
    op.create_table(
        "unmet_searches",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("office_id", sa.BigInteger(), nullable=True),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("searches", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_unmet_searches_office_id_offices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_unmet_searches_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_searches")),
    )
    op.create_index(
        "uq_unmet_searches_key",
        "unmet_searches",
        [sa.text("coalesce(office_id, 0)"), "service_id", "hour_start"],
        unique=True,
    )
    op.create_index("ix_unmet_searches_hour_start", "unmet_searches", ["hour_start"])


def downgrade() -> None:
    op.drop_table("unmet_searches")
    op.drop_table("visit_facts")
    op.drop_index("ix_tickets_issued", table_name="tickets")
    op.drop_index("ix_bookings_starts", table_name="bookings")
    op.drop_constraint(op.f("ck_offices_max_occupancy_positive"), "offices", type_="check")
    op.drop_column("offices", "max_occupancy")
