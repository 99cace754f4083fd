"""The outbox writer: every domain's operations put the notifications of a change here (mails, partners'
webhooks), in the change's own transaction; jobs/outbox.py delivers them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import bookings, outbox

# the values come from the parameters, by column name
_ENQUEUE = insert(outbox)
# events only partners' webhooks hear about (a ticket called, a no-show): nothing is written for the rest
_ENQUEUE_FOR_PARTNER = insert(outbox).from_select(
    ["kind", "booking_id", "payload"],
    select(
        bindparam("event_kind", type_=outbox.c.kind.type),
        bookings.c.id,
        bindparam("event_payload", type_=outbox.c.payload.type),
    ).where(bookings.c.id == bindparam("event_booking_id"), bookings.c.partner_id.is_not(None)),
)


async def enqueue(
    conn: AsyncConnection,
    kind: str,
    booking_id: int | None,
    payload: dict[str, Any] | None = None,
    *,
    partner_only: bool = False,
) -> None:
    """Written in the change's own transaction: a rolled-back change never notifies, a committed one always can.
    `partner_only`: only when a partner made the booking. Without a booking (a remote ticket's head-in mail) the
    payload says what the row is about, and no partner hears of it."""
    if partner_only:
        if booking_id is None:
            return
        values = {"event_kind": kind, "event_booking_id": booking_id, "event_payload": payload or {}}
        await conn.execute(_ENQUEUE_FOR_PARTNER, values)
    else:
        await conn.execute(_ENQUEUE, {"kind": kind, "booking_id": booking_id, "payload": payload or {}})
