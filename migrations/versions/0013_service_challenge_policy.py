"""catalogue: each service's challenge policy (NEVER, ADAPTIVE, ALWAYS), ADAPTIVE for every existing one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:15:00

Anonymous bookings of a service under ALWAYS, or under ADAPTIVE beyond the client address's free allowance,
need a solved proof-of-work challenge (resolvers/booking/challenge.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHALLENGE_POLICY = sa.Enum("NEVER", "ADAPTIVE", "ALWAYS", name="challenge_policy")


def upgrade() -> None:
    CHALLENGE_POLICY.create(op.get_bind(), checkfirst=True)
    op.add_column(
        "services", sa.Column("challenge_policy", CHALLENGE_POLICY, nullable=False, server_default="ADAPTIVE")
    )


def downgrade() -> None:
    op.drop_column("services", "challenge_policy")
    CHALLENGE_POLICY.drop(op.get_bind(), checkfirst=True)
