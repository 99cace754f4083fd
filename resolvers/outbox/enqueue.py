"""The outbox writer: every domain's operations put the notifications of a change here (mails, partners'
webhooks), in the change's own transaction; jobs/outbox.py delivers them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import outbox
from notifications.webhooks.events import event_type
from resolvers.outbox.facts import facts_sql

# the values come from the parameters, by column name
_ENQUEUE = insert(outbox)

# Native SQL: a booking's row, with the event's facts when it is a webhook event (resolvers/outbox/facts.py)
# read from the booking as this transaction changed it; `partner_only` events (a ticket called, a no-show)
# write nothing for a booking no partner made
_ENQUEUE_FOR_BOOKING = text(f"""
    INSERT INTO outbox (kind, booking_id, payload, event_facts)
    SELECT :kind, b.id, CAST(:payload AS jsonb),
           CASE WHEN :is_event THEN {facts_sql("b", "CAST(:ticket_id AS bigint)")} END
    FROM bookings b
    WHERE b.id = :booking_id AND (NOT :partner_only OR b.partner_id IS NOT NULL)
""")


async def enqueue(
    conn: AsyncConnection,
    kind: str,
    booking_id: int | None,
    payload: dict[str, Any] | None = None,
    *,
    partner_only: bool = False,
) -> None:
    """Written in the change's own transaction, after the change: a rolled-back change never notifies, a
    committed one always can, and a webhook event carries the facts of its moment.
    `partner_only`: only when a partner made the booking. Without a booking (a remote ticket's head-in mail) the
    payload says what the row is about, and no partner hears of it."""
    if booking_id is None:
        if not partner_only:
            await conn.execute(_ENQUEUE, {"kind": kind, "booking_id": None, "payload": payload or {}})
        return
    body = payload or {}
    ticket_id = body.get("ticket_id")
    await conn.execute(
        _ENQUEUE_FOR_BOOKING,
        {
            "kind": kind,
            "booking_id": booking_id,
            "payload": json.dumps(body),
            "is_event": event_type(kind) is not None,
            "ticket_id": ticket_id if isinstance(ticket_id, int) else None,
            "partner_only": partner_only,
        },
    )
