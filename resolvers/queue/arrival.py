"""Arrivals: checking a booking in (kiosk or desk) and issuing walk-in tickets."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, NotFoundError, ValidationFailed
from core.messages import msg, status_word
from core.validation import parse_id
from models.booking import Booking, BookingStatus, Channel
from models.catalogue import Office, OfficeService, Service
from models.queue import PriorityClass, QueueEventType, RemoteOrigin, Ticket, TicketStatus
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.booking import history
from resolvers.booking.codes import normalise_code
from resolvers.queue import come_in, kiosk, log, remote, tickets
from resolvers.queue.access import require_arrival_point
from resolvers.queue.records import QueueChange, QueueEventRecord
from resolvers.queue.remote import REMOTE_CODE_LENGTH
from resolvers.queue.tickets import status_in
from resolvers.queue.waits import waits

logger = logging.getLogger("turnero.queue")

_OFFICE = select(
    Office.id,
    Office.name,
    Office.timezone,
    Office.checkin_opens_minutes,
    Office.checkin_closes_minutes,
    Office.priority_head_start_minutes,
)
# a booking's code is unique among the open ones; of the others, the latest shows why it cannot check in
_OPEN_FIRST = Booking.status.in_((BookingStatus.PENDING, BookingStatus.BOOKED, BookingStatus.CHECKED_IN)).desc()


async def _office(conn: AsyncConnection, office_id: str) -> dict[str, object]:
    number = parse_id(office_id)
    row = (await conn.execute(_OFFICE.where(Office.id == number))).mappings().first() if number else None
    if row is None:
        raise NotFoundError("No office has this ID.")
    return dict(row)


async def _announce(conn: AsyncConnection, ticket_id: int, office_id: int) -> QueueChange:
    """Stores the estimate given at issue (to compare later with the real wait), logs ISSUED."""
    estimate = (await waits(conn, [ticket_id])).get(ticket_id)
    await conn.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(estimated_wait_minutes=estimate.minutes if estimate else None)
    )
    event = await log.append(conn, office_id, QueueEventType.ISSUED, ticket_id)
    return QueueChange(ticket=event.ticket, events=[event])


async def _replay(
    conn: AsyncConnection, viewer: Viewer, office_id: int, stored: dict[str, object], block_number: int | None
) -> QueueChange:
    """The ticket the key already made. A kiosk that replays it with a number from its block lost the first
    answer and gave the citizen that number instead: a ticket still waiting takes it, so the screens call
    the number on the slip."""
    ticket_id = int(str(stored["ticket_id"]))
    if block_number is not None:
        event = await _renumber(conn, viewer, office_id, ticket_id, block_number)
        if event is not None:
            return QueueChange(ticket=event.ticket, events=[event])
    found = await tickets.ticket(conn, ticket_id)
    assert found is not None
    return QueueChange(ticket=found)


async def _renumber(
    conn: AsyncConnection, viewer: Viewer, office_id: int, ticket_id: int, block_number: int
) -> QueueEventRecord | None:
    """Gives the ticket the kiosk's block number and logs RENUMBERED; None when it keeps its number (it has
    it already, it was called meanwhile, or the number is not the kiosk's to give: the slip is then wrong
    and the kiosk says so in its log)."""
    waiting = (
        select(Ticket.day, Ticket.day_number, Service.ticket_prefix)
        .join_from(Ticket, Service, Service.id == Ticket.service_id)
        .where(Ticket.id == ticket_id, status_in(TicketStatus.WAITING))
        .with_for_update(of=Ticket)
    )
    row = (await conn.execute(waiting)).mappings().first()
    if row is None or row["day_number"] == block_number:
        return None
    try:
        number = await kiosk.claim_block_number(conn, viewer, office_id, row["day"], block_number)
    except (ValidationFailed, InvalidStateError) as refused:  # raised before anything was written
        logger.warning("ticket %s keeps its number: block number %s refused (%s)", ticket_id, block_number, refused)
        return None
    await conn.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(day_number=number, number=log.ticket_number(row["ticket_prefix"], number))
    )
    return await log.append(conn, office_id, QueueEventType.RENUMBERED, ticket_id)


def _local(at: datetime, timezone: object) -> str:
    return at.astimezone(ZoneInfo(str(timezone))).strftime("%H:%M")


async def _arrival(
    conn: AsyncConnection,
    viewer: Viewer,
    office: dict[str, object],
    arrived_at: datetime | None,
    max_offline: timedelta,
) -> datetime:
    return await kiosk.arrival_time(
        conn,
        viewer,
        arrived_at,
        office_id=int(str(office["id"])),
        timezone=str(office["timezone"]),
        max_offline=max_offline,
    )


async def _day_number(
    conn: AsyncConnection, viewer: Viewer, office: dict[str, object], at: datetime, block_number: int | None
) -> int | None:
    if block_number is None:
        return None
    day = log.local_day(at, str(office["timezone"]))
    return await kiosk.claim_block_number(conn, viewer, int(str(office["id"])), day, block_number)


# The idempotency fingerprints leave out arrivedAt and blockNumber: they say when and under which number a
# kiosk handed out a ticket, not what was asked, so a kiosk that lost the answer may replay its key with them
# (and the ticket then takes the block number: _replay).


async def check_in(
    conn: AsyncConnection,
    viewer: Viewer,
    office_id: str,
    code: str,
    idempotency_key: str | None,
    *,
    max_offline: timedelta,
    arrived_at: datetime | None = None,
    block_number: int | None = None,
) -> QueueChange:
    office = await _office(conn, office_id)
    here = int(str(office["id"]))
    require_arrival_point(viewer, here)
    if len(normalise_code(code)) == REMOTE_CODE_LENGTH:
        # a remote ticket's code, not a booking's: its holder comes in from outside (a second time: the same ticket)
        return await come_in.arrive(conn, here, normalise_code(code))
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("checkIn", office=here, code=normalise_code(code))
        stored = await idempotency.claim(conn, viewer.caller, idempotency_key, "checkIn", fingerprint)
        if stored is not None:
            return await _replay(conn, viewer, here, stored, block_number)
    booking = (
        select(
            Booking.id,
            Booking.status,
            Booking.office_id,
            Booking.service_id,
            Booking.starts_at,
            Office.name.label("office_name"),
            Service.ticket_prefix,
        )
        .join_from(Booking, Office, Office.id == Booking.office_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.code == normalise_code(code))
        .order_by(_OPEN_FIRST, Booking.id.desc())
        .limit(1)
        .with_for_update(of=Booking)
    )
    row = (await conn.execute(booking)).mappings().first()
    if row is None:
        raise NotFoundError("No booking has this code. Check the code on your confirmation.")
    if row["office_id"] != here:
        raise InvalidStateError(
            msg("This appointment is at {office}, not at this office.", office=row["office_name"]),
            reason=InvalidStateReason.WRONG_OFFICE,
        )
    status = BookingStatus(row["status"])
    if status is BookingStatus.CHECKED_IN:
        existing = (
            await conn.execute(
                select(Ticket.id).where(Ticket.booking_id == row["id"]).order_by(Ticket.id.desc()).limit(1)
            )
        ).scalar_one()
        found = await tickets.ticket(conn, existing)
        assert found is not None
        return QueueChange(ticket=found)
    if status is BookingStatus.PENDING:
        # the seat is only the citizen's once confirmed: a lapsed confirmation may already be someone else's
        raise InvalidStateError(
            "This booking was never confirmed. Open the link in the mail we sent you to confirm it first.",
            reason=InvalidStateReason.BOOKING_NOT_CONFIRMED,
        )
    if status is not BookingStatus.BOOKED:
        raise InvalidStateError(
            msg("This appointment was {status}; it cannot be checked in.", status=status_word(status)),
            reason=InvalidStateReason.BOOKING_NOT_ACTIVE,
        )
    now = await _arrival(conn, viewer, office, arrived_at, max_offline)
    opens = row["starts_at"] - timedelta(minutes=int(str(office["checkin_opens_minutes"])))
    closes = row["starts_at"] + timedelta(minutes=int(str(office["checkin_closes_minutes"])))
    if now < opens:
        raise InvalidStateError(
            msg("Too early: check-in opens at {time}.", time=_local(opens, office["timezone"])),
            reason=InvalidStateReason.CHECKIN_TOO_EARLY,
            at=opens,
        )
    if now > closes:
        raise InvalidStateError(
            msg(
                "Too late: check-in closed at {time}. Please ask at the information desk.",
                time=_local(closes, office["timezone"]),
            ),
            reason=InvalidStateReason.CHECKIN_TOO_LATE,
            at=closes,
        )
    ticket_id = await log.new_ticket(
        conn,
        office_id=here,
        timezone=str(office["timezone"]),
        service_id=row["service_id"],
        prefix=row["ticket_prefix"],
        at=now,
        due_at=max(row["starts_at"], now),
        booking_id=row["id"],
        day_number=await _day_number(conn, viewer, office, now, block_number),
    )
    await conn.execute(update(Booking).where(Booking.id == row["id"]).values(status=BookingStatus.CHECKED_IN))
    channel = Channel.KIOSK if viewer.device_kind is not None else Channel.DESK
    await history.record_event(conn, row["id"], BookingStatus.CHECKED_IN, channel, viewer.caller)
    change = await _announce(conn, ticket_id, here)
    if idempotency_key is not None:
        await idempotency.remember(conn, viewer.caller, idempotency_key, {"ticket_id": ticket_id})
    return change


async def issue_ticket(
    conn: AsyncConnection,
    viewer: Viewer,
    office_id: str,
    service_id: str,
    priority: PriorityClass,
    idempotency_key: str | None,
    *,
    max_offline: timedelta,
    arrived_at: datetime | None = None,
    block_number: int | None = None,
) -> QueueChange:
    office = await _office(conn, office_id)
    here = int(str(office["id"]))
    require_arrival_point(viewer, here)
    service = parse_id(service_id)
    offered = exists().where(OfficeService.office_id == here, OfficeService.service_id == Service.id)
    found = select(
        Service.id, Service.walk_in_allowed, Service.ticket_prefix, Service.name, offered.label("offered")
    ).where(Service.id == service)
    row = (await conn.execute(found)).mappings().first() if service else None
    if row is None:
        raise NotFoundError("No service has this ID.")
    if not row["offered"]:
        raise ValidationFailed("serviceId", msg("This office does not offer {service}.", service=row["name"]))
    if not row["walk_in_allowed"]:
        raise InvalidStateError(
            msg("{service} needs an appointment; book one on the web or by phone.", service=row["name"]),
            reason=InvalidStateReason.APPOINTMENT_REQUIRED,
        )
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("issueTicket", office=here, service=service, priority=priority.value)
        stored = await idempotency.claim(conn, viewer.caller, idempotency_key, "issueTicket", fingerprint)
        if stored is not None:
            return await _replay(conn, viewer, here, stored, block_number)
    now = await _arrival(conn, viewer, office, arrived_at, max_offline)
    # a kiosk's offline replay tells of someone who is inside already: only a live walk-in may be sent outside
    outside = arrived_at is None and block_number is None and await remote.full_for_walk_in(conn, here)
    head_start = int(str(office["priority_head_start_minutes"])) if priority is PriorityClass.PRIORITY else 0
    ticket_id = await log.new_ticket(
        conn,
        office_id=here,
        timezone=str(office["timezone"]),
        service_id=row["id"],
        prefix=row["ticket_prefix"],
        at=now,
        due_at=now - timedelta(minutes=head_start),
        priority=priority,
        day_number=await _day_number(conn, viewer, office, now, block_number),
    )
    if outside:
        await remote.make_remote(conn, ticket_id, RemoteOrigin.DOOR)
    change = await _announce(conn, ticket_id, here)
    if idempotency_key is not None:
        await idempotency.remember(conn, viewer.caller, idempotency_key, {"ticket_id": ticket_id})
    return change
