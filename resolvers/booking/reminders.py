"""The reminder window: a booking gets one reminder mail when its start comes within `ahead`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_REMINDERS = text("""
    WITH due AS (
        UPDATE bookings SET reminder_queued_at = now()
        WHERE status = 'BOOKED' AND reminder_queued_at IS NULL
          AND starts_at > now() AND starts_at <= now() + :ahead
          -- booked inside the reminder window: the confirmation was the reminder
          AND created_at < starts_at - :ahead
        RETURNING id
    )
    INSERT INTO outbox (kind, booking_id) SELECT 'booking.reminder', id FROM due
""")


async def queue_reminders(conn: AsyncConnection, ahead: timedelta) -> int:
    """Puts a reminder in the outbox for each booking that enters the window; never twice. How many."""
    result = await conn.execute(_REMINDERS, {"ahead": ahead})
    return result.rowcount
