"""What happens to a booking is appended, never rewritten: its history (notifications: resolvers/outbox/enqueue.py)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import BookingStatus, Channel, booking_events

_RECORD_EVENT = insert(booking_events)


async def record_event(
    conn: AsyncConnection,
    booking_id: int,
    status: BookingStatus,
    channel: Channel | None,
    actor: str,
    note: str | None = None,
) -> None:
    values = {"booking_id": booking_id, "status": status, "channel": channel, "actor": actor, "note": note}
    await conn.execute(_RECORD_EVENT, values)
