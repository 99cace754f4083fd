"""The outbox writer: every domain's operations put the notifications of a change here (mails, partners'
webhooks), in the change's own transaction; jobs/outbox.py delivers them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_ENQUEUE = text("INSERT INTO outbox (kind, booking_id, payload) VALUES (:kind, :booking_id, CAST(:payload AS jsonb))")
# events only partners' webhooks hear about (a ticket called, a no-show): nothing is written for the rest
_ENQUEUE_FOR_PARTNER = text("""INSERT INTO outbox (kind, booking_id, payload)
    SELECT :kind, id, CAST(:payload AS jsonb) FROM bookings WHERE id = :booking_id AND partner_id IS NOT NULL""")


async def enqueue(
    conn: AsyncConnection,
    kind: str,
    booking_id: int,
    payload: dict[str, Any] | None = None,
    *,
    partner_only: bool = False,
) -> None:
    """Written in the change's own transaction: a rolled-back change never notifies, a committed one always can.
    `partner_only`: only when a partner made the booking."""
    await conn.execute(
        _ENQUEUE_FOR_PARTNER if partner_only else _ENQUEUE,
        {"kind": kind, "booking_id": booking_id, "payload": json.dumps(payload or {})},
    )
