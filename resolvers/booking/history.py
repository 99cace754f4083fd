"""What happens to a booking is appended, never rewritten: its history (notifications: resolvers/outbox/enqueue.py)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import BookingStatus, Channel


async def record_event(
    conn: AsyncConnection,
    booking_id: int,
    status: BookingStatus,
    channel: Channel | None,
    actor: str,
    note: str | None = None,
) -> None:
    await conn.execute(
        text("""INSERT INTO booking_events (booking_id, status, channel, actor, note)
                VALUES (:booking_id, CAST(:status AS booking_status), CAST(:channel AS channel), :actor, :note)"""),
        {
            "booking_id": booking_id,
            "status": status.value,
            "channel": channel.value if channel else None,
            "actor": actor,
            "note": note,
        },
    )
