"""webhooks: event-time payloads, delivered in event order, old event names on request

Revision ID: 0023_webhook_event_order
Revises: 0022_remote_queue
Create Date: 2026-12-03 18:00:00

An outbox row that is a webhook event keeps the event's facts as its own transaction committed them
(`outbox.event_facts`, no citizen data); the worker renders the payloads from them and marks the row
(`fanned_out_at`). A delivery knows its subject (`booking_id`) and its place in the event order (`event_id`, the
outbox row's id), so one endpoint gets one booking's events in order. `webhook_endpoints.legacy_event_names`:
the payload's `type` in the old SCREAMING_CASE, for one release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_webhook_event_order"
down_revision: str | None = "0022_remote_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("event_facts", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("outbox", sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_outbox_awaiting_fan_out",
        "outbox",
        ["booking_id", "id"],
        postgresql_where=sa.text("event_facts IS NOT NULL AND fanned_out_at IS NULL"),
    )
    # events still waiting in the outbox get the facts of now: the best there is for them
    op.execute("""
        UPDATE outbox x SET event_facts = (
            SELECT jsonb_build_object(
                'id', b.id, 'partner_id', b.partner_id, 'code', b.code, 'status', CAST(b.status AS text),
                'starts_at', b.starts_at, 'office_id', fo.id, 'office_name', fo.name, 'timezone', fo.timezone,
                'service_id', fs.id, 'service_name', fs.name, 'occurred_at', x.created_at,
                'ticket_number', ft.number, 'desk_name', fd.name)
            FROM bookings b JOIN offices fo ON fo.id = b.office_id JOIN services fs ON fs.id = b.service_id
            LEFT JOIN tickets ft ON ft.id = CAST(x.payload ->> 'ticket_id' AS bigint)
            LEFT JOIN desks fd ON fd.id = ft.desk_id
            WHERE b.id = x.booking_id AND b.partner_id IS NOT NULL)
        WHERE x.status = 'PENDING' AND x.attempts = 0 AND x.kind IN ('booking.confirmation', 'booking.change',
            'booking.cancellation', 'ticket.called', 'ticket.completed', 'booking.no_show')
    """)
    op.add_column(
        "webhook_endpoints", sa.Column("legacy_event_names", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("webhook_deliveries", sa.Column("booking_id", sa.BigInteger(), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("event_id", sa.BigInteger(), nullable=True))
    # the deliveries made before: their event order is their outbox row's, or their own
    op.execute("""
        UPDATE webhook_deliveries d SET event_id = coalesce(d.outbox_id, d.id),
            booking_id = (SELECT o.booking_id FROM outbox o WHERE o.id = d.outbox_id)
    """)
    op.create_index(
        "ix_webhook_deliveries_subject_pending",
        "webhook_deliveries",
        ["endpoint_id", "booking_id", "event_id"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index("ix_webhook_deliveries_endpoint_event", "webhook_deliveries", ["endpoint_id", "event_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_endpoint_event", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_subject_pending", table_name="webhook_deliveries")
    op.drop_column("webhook_deliveries", "event_id")
    op.drop_column("webhook_deliveries", "booking_id")
    op.drop_column("webhook_endpoints", "legacy_event_names")
    op.drop_index("ix_outbox_awaiting_fan_out", table_name="outbox")
    op.drop_column("outbox", "fanned_out_at")
    op.drop_column("outbox", "event_facts")
