"""A clerk's desk: call the next citizen, recall, serve, finish, mark a no-show, cancel, transfer.

Lifecycle: WAITING -> CALLED -> SERVING -> DONE; CALLED -> CALLED (recall); CALLED -> NO_SHOW;
WAITING -> CANCELLED; WAITING/CALLED/SERVING -> TRANSFERRED (a new ticket carries on). Nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotFoundError, QueueEmptyError, ValidationFailed
from core.messages import Message, msg
from core.validation import optional_text, parse_id
from models.booking import Booking, BookingStatus, Channel
from models.catalogue import Desk, Office, OfficeService, Service
from models.queue import QueueEventType, Ticket, TicketStatus
from resolvers.accounts.viewer import Viewer
from resolvers.booking import history
from resolvers.outbox.enqueue import enqueue
from resolvers.queue import log, tickets
from resolvers.queue.access import require_desk_staff
from resolvers.queue.records import QueueChange, TicketRecord
from resolvers.queue.tickets import LINE_ORDER, callable_at, inside, status_in


@dataclass(frozen=True, slots=True)
class DeskRow:
    id: int
    office_id: int


async def _desk(conn: AsyncConnection, desk_id: str, *, lock: bool = False) -> DeskRow:
    number = parse_id(desk_id)
    found = select(Desk.id, Desk.office_id).where(Desk.id == number)
    row = (await conn.execute(found.with_for_update() if lock else found)).first() if number else None
    if row is None:
        raise NotFoundError("No desk has this ID.")
    return DeskRow(row.id, row.office_id)


async def _ticket(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None) -> TicketRecord:
    """`ticket_id`: the row number the ticket's public ID proved (core/ticket_ids.py), None if it
    proved nothing."""
    locked = (
        (await conn.execute(select(Ticket.id).where(Ticket.id == ticket_id).with_for_update())).scalar()
        if ticket_id
        else None
    )
    found = await tickets.ticket(conn, locked) if locked else None
    if found is None:
        raise NotFoundError("No ticket has this ID.")
    require_desk_staff(viewer, found.office_id)
    return found


def _expect(ticket: TicketRecord, *allowed: TicketStatus) -> None:
    if ticket.status not in allowed:
        *others, last = (status.value for status in allowed)
        wanted: str | Message = msg("{some} or {last}", some=", ".join(others), last=last) if others else last
        raise InvalidStateError(
            msg(
                "Ticket {number} is {status}; this needs it {wanted}.",
                number=ticket.number,
                status=ticket.status.value,
                wanted=wanted,
            )
        )


async def _move(
    conn: AsyncConnection,
    ticket: TicketRecord,
    kind: QueueEventType,
    event_desk_id: int | None = None,
    **changes: Any,
) -> QueueChange:
    """Sets the ticket's columns named in `changes` and logs `kind`."""
    await conn.execute(update(Ticket).where(Ticket.id == ticket.id).values(**changes))
    event = await log.append(
        conn, ticket.office_id, kind, ticket.id, event_desk_id if event_desk_id is not None else ticket.desk_id
    )
    return QueueChange(ticket=event.ticket, events=[event])


async def _close_booking(
    conn: AsyncConnection, viewer: Viewer, ticket: TicketRecord, status: BookingStatus, note: str | None = None
) -> None:
    if ticket.booking_id is None:
        return
    await conn.execute(update(Booking).where(Booking.id == ticket.booking_id).values(status=status))
    await history.record_event(conn, ticket.booking_id, status, Channel.DESK, viewer.caller, note)


async def call_next(conn: AsyncConnection, viewer: Viewer, desk_id: str) -> QueueChange:
    """The first in line among the services this desk serves; never the same ticket to two desks."""
    desk = await _desk(conn, desk_id, lock=True)  # one call at a time per desk
    require_desk_staff(viewer, desk.office_id)
    busy = (
        await conn.execute(
            select(Ticket.number)
            .where(Ticket.desk_id == desk.id, status_in(TicketStatus.CALLED, TicketStatus.SERVING))
            .limit(1)
        )
    ).scalar()
    if busy is not None:
        raise InvalidStateError(
            msg("Ticket {number} is still at this desk: finish it or mark it a no-show first.", number=busy)
        )
    first_in_line = (
        select(Ticket.id)
        .where(Ticket.office_id == desk.office_id, status_in(TicketStatus.WAITING), callable_at(desk.id), inside())
        .order_by(*LINE_ORDER)
        .limit(1)
        .with_for_update(skip_locked=True)  # a ticket another desk is calling right now is not this desk's
    )
    ticket_id = (await conn.execute(first_in_line)).scalar()
    if ticket_id is None:
        raise QueueEmptyError("Nobody is waiting for this desk's services.")
    found = await tickets.ticket(conn, ticket_id)
    assert found is not None
    change = await _move(
        conn, found, QueueEventType.CALLED, desk.id, status=TicketStatus.CALLED, called_at=func.now(), desk_id=desk.id
    )
    if found.booking_id is not None:
        await enqueue(conn, "ticket.called", found.booking_id, {"ticket_id": found.id}, partner_only=True)
    return change


async def recall(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None) -> QueueChange:
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.CALLED)
    return await _move(conn, ticket, QueueEventType.RECALLED, recalls=Ticket.recalls + 1, called_at=func.now())


async def start_service(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None) -> QueueChange:
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.CALLED)
    return await _move(conn, ticket, QueueEventType.SERVING, status=TicketStatus.SERVING, started_at=func.now())


async def complete(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None, note: str | None) -> QueueChange:
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.SERVING)
    note = optional_text("note", note, max_length=1000)
    change = await _move(conn, ticket, QueueEventType.DONE, status=TicketStatus.DONE, finished_at=func.now(), note=note)
    await _close_booking(conn, viewer, ticket, BookingStatus.COMPLETED)
    if ticket.booking_id is not None:
        await enqueue(conn, "ticket.completed", ticket.booking_id, {"ticket_id": ticket.id})
    return change


async def mark_no_show(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None) -> QueueChange:
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.CALLED)
    change = await _move(conn, ticket, QueueEventType.NO_SHOW, status=TicketStatus.NO_SHOW, finished_at=func.now())
    await _close_booking(conn, viewer, ticket, BookingStatus.NO_SHOW, f"did not come when {ticket.number} was called")
    if ticket.booking_id is not None:
        await enqueue(conn, "booking.no_show", ticket.booking_id, {"ticket_id": ticket.id}, partner_only=True)
    return change


async def cancel_ticket(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None) -> QueueChange:
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.WAITING)
    return await _move(conn, ticket, QueueEventType.CANCELLED, status=TicketStatus.CANCELLED, finished_at=func.now())


@dataclass(frozen=True, slots=True)
class TransferTarget:
    service_id: str | None = None
    office_id: str | None = None
    desk_id: str | None = None
    keep_position: bool = True


async def transfer(conn: AsyncConnection, viewer: Viewer, ticket_id: int | None, target: TransferTarget) -> QueueChange:
    """The ticket ends TRANSFERRED; a new ticket at the target office carries the citizen on."""
    ticket = await _ticket(conn, viewer, ticket_id)
    _expect(ticket, TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
    if target.service_id is None and target.office_id is None and target.desk_id is None:
        raise ValidationFailed("serviceId", "Say where to: a service, an office or a desk.")
    office_id = ticket.office_id
    if target.office_id is not None:
        office_id = parse_id(target.office_id) or 0
    office = (await conn.execute(select(Office.id, Office.timezone).where(Office.id == office_id))).first()
    if office is None:
        raise ValidationFailed("officeId", "No office has this ID.")
    desk_id = None
    if target.desk_id is not None:
        desk = (
            await conn.execute(select(Desk.id, Desk.office_id).where(Desk.id == (parse_id(target.desk_id) or 0)))
        ).first()
        if desk is None or desk.office_id != office.id:
            raise ValidationFailed("deskId", "No desk with this ID at the target office.")
        # sending a citizen to another office's line is a referral; putting them at the head of one of its
        # desks is working that office's desks, which only its own staff do
        require_desk_staff(viewer, desk.office_id)
        desk_id = desk.id
    service_id = parse_id(target.service_id) if target.service_id is not None else ticket.service_id
    service = (
        await conn.execute(
            select(Service.id, Service.ticket_prefix)
            .join(OfficeService, OfficeService.service_id == Service.id)
            .where(Service.id == (service_id or 0), OfficeService.office_id == office.id)
        )
    ).first()
    if service is None:
        raise ValidationFailed("serviceId", "The target office does not offer this service.")
    now = (await conn.execute(select(func.now()))).scalar_one()
    new_id = await log.new_ticket(
        conn,
        office_id=office.id,
        timezone=office.timezone,
        service_id=service.id,
        prefix=service.ticket_prefix,
        at=now,
        due_at=ticket.due_at if target.keep_position else now,
        priority=ticket.priority,
        booking_id=ticket.booking_id,
        target_desk_id=desk_id,
        previous_ticket_id=ticket.id,
    )
    moved = await _move(
        conn, ticket, QueueEventType.TRANSFERRED, status=TicketStatus.TRANSFERRED, finished_at=func.now()
    )
    issued = await log.append(conn, office.id, QueueEventType.ISSUED, new_id)
    return QueueChange(ticket=issued.ticket, events=[*moved.events, issued])
