"""The no-show sweep: a BOOKED booking whose check-in window has closed becomes NO_SHOW, and its seat is kept
(the slot has passed). Idempotent: a second run, or a second worker, finds nothing more to do."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Native: a data-modifying CTE (the bookings, their history and their partners' messages in one statement).
_SWEEP = text("""
    WITH missed AS (
        UPDATE bookings b SET status = 'NO_SHOW'
        FROM offices o
        WHERE o.id = b.office_id AND b.status = 'BOOKED' AND b.starts_at < now()
          AND b.starts_at + make_interval(mins => o.checkin_closes_minutes) < now()
        RETURNING b.id, b.partner_id
    ),
    events AS (
        INSERT INTO booking_events (booking_id, status, actor, note)
        SELECT id, 'NO_SHOW', 'system', 'not checked in before the check-in window closed' FROM missed
    ),
    -- only partners hear about no-shows (their webhooks): nothing is written for the other bookings
    messages AS (
        INSERT INTO outbox (kind, booking_id) SELECT 'booking.no_show', id FROM missed WHERE partner_id IS NOT NULL
    )
    SELECT count(*) FROM missed
""")


async def sweep_no_shows(conn: AsyncConnection) -> int:
    return int((await conn.execute(_SWEEP)).scalar_one())
