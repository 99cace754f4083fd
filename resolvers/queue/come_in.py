"""Coming in from outside: a remote ticket's holder checks in at the kiosk (or a desk) with the ticket's code
(checkIn tells it from a booking's by its length, resolvers/queue/arrival.py)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, NotFoundError
from core.messages import msg, status_word
from models.catalogue import Office
from models.queue import QueueEventType, RemoteTicket, Ticket, TicketStatus
from resolvers.occupancy import occupancy, today
from resolvers.queue import log, tickets
from resolvers.queue.records import QueueChange
from resolvers.queue.remote import lock_line

_BY_CODE = (
    select(Ticket.id, Ticket.remote, Ticket.status, Ticket.head_in_at)
    .join(Office, Office.id == Ticket.office_id)
    .where(Ticket.day == today())
    .order_by(Ticket.id.desc())
    .limit(1)
    .with_for_update(of=Ticket)
)


async def arrive(conn: AsyncConnection, office_id: int, code: str) -> QueueChange:
    """A remote ticket's holder checked in with its code: from now on a ticket inside, in the place it earned.
    Refused while the building is full and they were not told to come in yet; a second check-in gets the ticket."""
    row = (await conn.execute(_BY_CODE.where(Ticket.office_id == office_id, Ticket.remote_code == code))).first()
    if row is None:
        raise NotFoundError("No ticket of today at this office has this code. Check the code on your ticket page.")
    if row.status is not TicketStatus.WAITING:
        raise InvalidStateError(
            msg("This ticket is {status}; it cannot be checked in.", status=status_word(row.status.value)),
            reason=InvalidStateReason.BOOKING_NOT_ACTIVE,
        )
    if not row.remote:
        found = await tickets.ticket(conn, row.id)
        assert found is not None
        return QueueChange(ticket=found)
    await lock_line(conn, office_id)
    room = (await occupancy(conn, office_id)).room
    if row.head_in_at is None and room is not None and room <= 0:
        raise InvalidStateError(
            "The building is full: please wait outside. Your ticket page will tell you when to come in.",
            reason=InvalidStateReason.OFFICE_FULL,
        )
    await conn.execute(update(Ticket).where(Ticket.id == row.id).values(remote=False))
    await conn.execute(update(RemoteTicket).where(RemoteTicket.ticket_id == row.id).values(arrived_at=func.now()))
    event = await log.append(conn, office_id, QueueEventType.ARRIVED, row.id)
    return QueueChange(ticket=event.ticket, events=[event])
