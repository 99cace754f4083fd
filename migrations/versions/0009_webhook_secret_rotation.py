"""webhooks: the previous signing secret of a rotated endpoint, and until when deliveries are signed with it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:40:00

`rotateWebhookSecret` gives an endpoint a new secret; for a day, deliveries carry a signature with each
(Standard Webhooks allows several, space-delimited), so the partner switches without losing a delivery.
As with the current one, only the nonce the key is derived from is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("previous_secret_nonce", sa.LargeBinary(16), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_endpoints", "previous_secret_until")
    op.drop_column("webhook_endpoints", "previous_secret_nonce")
