"""From an outbox row to the webhook deliveries of the booking's partner, in the outbox claim's transaction.

One delivery per active endpoint of that partner subscribed to the row's event type. Unique per endpoint
and outbox row, so a row claimed again (its worker died before settling it) adds nothing.
"""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, String, Text, any_, bindparam, cast, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import bookings, outbox
from models.catalogue import desks, offices, services
from models.notifications import webhook_endpoints
from models.queue import Ticket
from notifications.outbox import OutboxRow
from notifications.webhooks.events import event_type, payload
from notifications.webhooks.signing import new_message_id

# most bookings have no partner: this one indexed look-up is all such a row costs
_SUBSCRIBED = (
    select(webhook_endpoints.c.id)
    .join_from(bookings, webhook_endpoints, webhook_endpoints.c.partner_id == bookings.c.partner_id)
    .where(
        bookings.c.id == bindparam("booking_id"),
        webhook_endpoints.c.active,
        bindparam("event", type_=String) == any_(webhook_endpoints.c.event_types),
    )
    .order_by(webhook_endpoints.c.id)
)

# the event as it stands when it is fanned out; the outbox row's own time is when it happened
_b, _o, _s, _x = bookings.c, offices.c, services.c, outbox.c
_t, _d = Ticket.__table__.c, desks.c
_FACTS = (
    select(
        _b.id,
        _b.code,
        cast(_b.status, Text).label("status"),
        _b.starts_at,
        _o.id.label("office_id"),
        _o.name.label("office_name"),
        _o.timezone,
        _s.id.label("service_id"),
        _s.name.label("service_name"),
        _x.created_at.label("occurred_at"),
        _t.number.label("ticket_number"),
        _d.name.label("desk_name"),
    )
    .select_from(outbox)
    .join(bookings, _b.id == _x.booking_id)
    .join(offices, _o.id == _b.office_id)
    .join(services, _s.id == _b.service_id)
    .outerjoin(Ticket.__table__, _t.id == bindparam("ticket_id", type_=BigInteger))
    .outerjoin(desks, _d.id == _t.desk_id)
    .where(_x.id == bindparam("outbox_id"))
)

# Native SQL: every endpoint's delivery in one INSERT, the two id arrays unnested side by side into rows
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
