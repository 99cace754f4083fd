"""queue events: RENUMBERED, when a kiosk's replay gives a waiting ticket the number its slip shows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:40:00

A kiosk whose online answer was lost hands the citizen a number from its reserved block; when it replays
the arrival, the ticket the server had already made takes that number (resolvers/queue/arrival.py), and
the office's screens hear of it through the queue log like any other change.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # an added enum value may not be used in the transaction that adds it; nothing here uses it
    op.execute("ALTER TYPE queue_event_type ADD VALUE IF NOT EXISTS 'RENUMBERED'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value, and deleting its events would leave gaps in the offices' logs:
    # the value stays, which the previous revision's code never reads
    pass
