"""From an outbox row to the webhook deliveries of the booking's partner, in the outbox claim's transaction.

One delivery per active endpoint of that partner subscribed to the row's event type. Unique per endpoint
and outbox row, so a row claimed again (its worker died before settling it) adds nothing.
"""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.outbox import OutboxRow
from notifications.webhooks.events import event_type, payload
from notifications.webhooks.signing import new_message_id

# most bookings have no partner: this one indexed look-up is all such a row costs
_SUBSCRIBED = text("""
    SELECT e.id FROM bookings b JOIN webhook_endpoints e ON e.partner_id = b.partner_id
    WHERE b.id = :booking_id AND e.active AND CAST(:event AS varchar) = ANY(e.event_types)
    ORDER BY e.id
""")

# the event as it stands when it is fanned out; the outbox row's own time is when it happened
_FACTS = text("""
    SELECT b.id, b.code, b.status::text AS status, b.starts_at, o.id AS office_id, o.name AS office_name,
           o.timezone, s.id AS service_id, s.name AS service_name, x.created_at AS occurred_at,
           t.number AS ticket_number, d.name AS desk_name
    FROM outbox x
    JOIN bookings b ON b.id = x.booking_id
    JOIN offices o ON o.id = b.office_id
    JOIN services s ON s.id = b.service_id
    LEFT JOIN tickets t ON t.id = CAST(:ticket_id AS bigint)
    LEFT JOIN desks d ON d.id = t.desk_id
    WHERE x.id = :outbox_id
""")

_INSERT = text("""
    INSERT INTO webhook_deliveries (endpoint_id, outbox_id, event_type, message_id, payload)
    SELECT endpoint_id, :outbox_id, :event, message_id, CAST(:payload AS jsonb)
    FROM unnest(CAST(:endpoint_ids AS bigint[]), CAST(:message_ids AS varchar[])) AS t(endpoint_id, message_id)
    ON CONFLICT (endpoint_id, outbox_id) DO NOTHING
""")


async def fan_out(conn: AsyncConnection, row: OutboxRow) -> int:
    """How many deliveries this row added (0 without a partner, a listening endpoint, or a webhook event)."""
    event = event_type(row.kind)
    if event is None or row.booking_id is None:
        return 0
    endpoint_ids = list((await conn.execute(_SUBSCRIBED, {"booking_id": row.booking_id, "event": event})).scalars())
    if not endpoint_ids:
        return 0
    params = {"outbox_id": row.id, "ticket_id": row.payload.get("ticket_id")}
    facts = (await conn.execute(_FACTS, params)).mappings().first()
    if facts is None:  # the booking is gone
        return 0
    body = payload(row, event, facts)
    result = await conn.execute(
        _INSERT,
        {
            "outbox_id": row.id,
            "event": event,
            "payload": json.dumps(body),
            "endpoint_ids": endpoint_ids,
            "message_ids": [new_message_id() for _ in endpoint_ids],
        },
    )
    return int(result.rowcount)
