"""From an outbox row to the webhook deliveries of the booking's partner, in the outbox claim's transaction.

One delivery per active endpoint of that partner subscribed to the row's event type, its payload rendered from
the facts the event's own transaction stored with the row (resolvers/outbox/facts.py): never from the booking
as it is now. Unique per endpoint and outbox row, so a row claimed again (its worker died before settling it)
adds nothing. The row is marked fanned out in the same transaction: until then the booking's later deliveries
wait for it (resolvers/webhooks/dispatch.py), so two workers fanning out two events of one booking at once
cannot send them out of order.
"""

from __future__ import annotations

import json

from sqlalchemy import String, any_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import outbox
from models.notifications import webhook_endpoints
from notifications.outbox import OutboxRow
from notifications.webhooks.events import event_type, payload
from notifications.webhooks.signing import new_message_id

# most bookings have no partner: such a row costs no query at all
_SUBSCRIBED = (
    select(webhook_endpoints.c.id, webhook_endpoints.c.legacy_event_names)
    .where(
        webhook_endpoints.c.partner_id == bindparam("partner_id"),
        webhook_endpoints.c.active,
        bindparam("event", type_=String) == any_(webhook_endpoints.c.event_types),
    )
    .order_by(webhook_endpoints.c.id)
)

_FANNED_OUT = update(outbox).where(outbox.c.id == bindparam("outbox_id")).values(fanned_out_at=func.now())

# Native SQL: every endpoint's delivery in one INSERT, the id arrays unnested side by side into rows; each
# endpoint gets the body with the names it asked for (legacyEventNames)
_INSERT = text("""
    INSERT INTO webhook_deliveries (endpoint_id, outbox_id, booking_id, event_id, event_type, message_id, payload)
    SELECT endpoint_id, :outbox_id, :booking_id, :outbox_id, :event, message_id,
           CASE WHEN legacy THEN CAST(:legacy_payload AS jsonb) ELSE CAST(:payload AS jsonb) END
    FROM unnest(CAST(:endpoint_ids AS bigint[]), CAST(:message_ids AS varchar[]), CAST(:legacy AS boolean[]))
        AS t(endpoint_id, message_id, legacy)
    ON CONFLICT (endpoint_id, outbox_id) DO NOTHING
""")


async def fan_out(conn: AsyncConnection, row: OutboxRow) -> int:
    """How many deliveries this row added (0 without facts, a partner, a listening endpoint, or a webhook
    event; 0 when it was fanned out before)."""
    event = event_type(row.kind)
    facts = row.event_facts
    if event is None or facts is None or row.fanned_out:
        return 0
    await conn.execute(_FANNED_OUT, {"outbox_id": row.id})
    if facts.get("partner_id") is None:
        return 0
    subscribed = (await conn.execute(_SUBSCRIBED, {"partner_id": facts["partner_id"], "event": event})).all()
    if not subscribed:
        return 0
    result = await conn.execute(
        _INSERT,
        {
            "outbox_id": row.id,
            "booking_id": row.booking_id,
            "event": event,
            "payload": json.dumps(payload(row, event, facts)),
            "legacy_payload": json.dumps(payload(row, event, facts, legacy=True)),
            "endpoint_ids": [endpoint.id for endpoint in subscribed],
            "message_ids": [new_message_id() for _ in subscribed],
            "legacy": [endpoint.legacy_event_names for endpoint in subscribed],
        },
    )
    return int(result.rowcount)
