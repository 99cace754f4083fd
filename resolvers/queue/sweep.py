"""The no-show sweep: a BOOKED booking whose check-in window has closed becomes NO_SHOW, and its seat is kept
(the slot has passed); so does a remote ticket whose holder did not come in within the same grace
(`Office.checkin_closes_minutes`) after reaching the front of the line and being told to come in.
Idempotent: a second run, or a second worker, finds nothing more to do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.catalogue import Office
from models.queue import QueueEventType, RemoteTicket, Ticket, TicketStatus
from resolvers.outbox.facts import facts_sql
from resolvers.queue import log
from resolvers.queue.tickets import status_in

# Native: a data-modifying CTE (the bookings, their history and their partners' messages in one statement).
_SWEEP = text(f"""
    WITH missed AS (
        UPDATE bookings b SET status = 'NO_SHOW'
        FROM offices o
        WHERE o.id = b.office_id AND b.status = 'BOOKED' AND b.starts_at < now()
          AND b.starts_at + make_interval(mins => o.checkin_closes_minutes) < now()
        RETURNING b.*
    ),
    events AS (
        INSERT INTO booking_events (booking_id, status, actor, note)
        SELECT id, 'NO_SHOW', 'system', 'not checked in before the check-in window closed' FROM missed
    ),
    -- only partners hear about no-shows (their webhooks): nothing is written for the other bookings
    messages AS (
        INSERT INTO outbox (kind, booking_id, event_facts)
        SELECT 'booking.no_show', id, {facts_sql("missed")} FROM missed WHERE partner_id IS NOT NULL
    )
    SELECT count(*) FROM missed
""")


async def sweep_no_shows(conn: AsyncConnection) -> int:
    return int((await conn.execute(_SWEEP)).scalar_one())


_GRACE = Office.checkin_closes_minutes * literal(timedelta(minutes=1))
# the grace runs from the later of reaching the front and being told to come in: never before they were told
_MISSED_OUTSIDE = (
    select(Ticket.id, Ticket.office_id)
    .join(RemoteTicket, RemoteTicket.ticket_id == Ticket.id)
    .join(Office, Office.id == Ticket.office_id)
    .where(
        Ticket.remote,
        status_in(TicketStatus.WAITING),
        Ticket.head_in_at.is_not(None),
        RemoteTicket.front_at.is_not(None),
        func.greatest(RemoteTicket.front_at, Ticket.head_in_at) + _GRACE < func.now(),
    )
    .order_by(Ticket.id)
    .with_for_update(of=Ticket, skip_locked=True)
)


async def sweep_remote_no_shows(conn: AsyncConnection) -> int:
    """Remote tickets whose holders did not come in: NO_SHOW, each logged (the next one outside may come in)."""
    missed = (await conn.execute(_MISSED_OUTSIDE)).all()
    for row in missed:
        await conn.execute(
            update(Ticket).where(Ticket.id == row.id).values(status=TicketStatus.NO_SHOW, finished_at=func.now())
        )
        await log.append(conn, row.office_id, QueueEventType.NO_SHOW, row.id)
    return len(missed)
