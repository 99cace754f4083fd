"""partners: a cost bucket refill rate of their own, set by an ADMIN (setPartnerRateLimit)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:30:00

Null keeps the default (TURNERO_RATE_PARTNER_COST_PER_SECOND). On the partner, not the key: every key of a
partner shares its bucket, so issuing more keys does not multiply what a partner may ask.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("partners", sa.Column("cost_per_second", sa.Integer(), nullable=True))
    op.create_check_constraint(op.f("ck_partners_cost_per_second_positive"), "partners", "cost_per_second > 0")


def downgrade() -> None:
    op.drop_column("partners", "cost_per_second")
