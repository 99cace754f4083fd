"""Arrivals: checking a booking in (kiosk or desk) and issuing walk-in tickets."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, NotFoundError, ValidationFailed
from core.validation import parse_id
from models.booking import OPEN_STATUSES, BookingStatus, Channel
from models.queue import PriorityClass, QueueEventType
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.booking import history
from resolvers.booking.codes import normalise_code
from resolvers.queue import kiosk, log
from resolvers.queue.access import require_arrival_point
from resolvers.queue.records import QueueChange, QueueEventRecord
from resolvers.queue.waits import waits

logger = logging.getLogger("turnero.queue")

_OFFICE = text("""SELECT id, name, timezone, checkin_opens_minutes, checkin_closes_minutes, priority_head_start_minutes
                  FROM offices WHERE id = :id""")


async def _office(conn: AsyncConnection, office_id: str) -> dict[str, object]:
    number = parse_id(office_id)
    row = (await conn.execute(_OFFICE, {"id": number})).mappings().first() if number else None
    if row is None:
        raise NotFoundError("No office has this ID.")
    return dict(row)


async def _announce(conn: AsyncConnection, ticket_id: int, office_id: int) -> QueueChange:
    """Stores the estimate given at issue (to compare later with the real wait), logs ISSUED."""
    estimate = (await waits(conn, [ticket_id])).get(ticket_id)
    await conn.execute(
        text("UPDATE tickets SET estimated_wait_minutes = :m WHERE id = :id"),
        {"m": estimate.minutes if estimate else None, "id": ticket_id},
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
    found = await log.ticket(conn, ticket_id)
    assert found is not None
    return QueueChange(ticket=found)


_WAITING_TICKET = text("""
    SELECT t.day, t.day_number, s.ticket_prefix FROM tickets t JOIN services s ON s.id = t.service_id
    WHERE t.id = :id AND t.status = 'WAITING'
    FOR UPDATE OF t
""")


async def _renumber(
    conn: AsyncConnection, viewer: Viewer, office_id: int, ticket_id: int, block_number: int
) -> QueueEventRecord | None:
    """Gives the ticket the kiosk's block number and logs RENUMBERED; None when it keeps its number (it has
    it already, it was called meanwhile, or the number is not the kiosk's to give: the slip is then wrong
    and the kiosk says so in its log)."""
    row = (await conn.execute(_WAITING_TICKET, {"id": ticket_id})).mappings().first()
    if row is None or row["day_number"] == block_number:
        return None
    try:
        number = await kiosk.claim_block_number(conn, viewer, office_id, row["day"], block_number)
    except (ValidationFailed, InvalidStateError) as refused:  # raised before anything was written
        logger.warning("ticket %s keeps its number: block number %s refused (%s)", ticket_id, block_number, refused)
        return None
    await conn.execute(
        text("UPDATE tickets SET day_number = :n, number = :number WHERE id = :id"),
        {"n": number, "number": log.ticket_number(row["ticket_prefix"], number), "id": ticket_id},
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
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("checkIn", office=here, code=normalise_code(code))
        stored = await idempotency.claim(conn, viewer.caller, idempotency_key, "checkIn", fingerprint)
        if stored is not None:
            return await _replay(conn, viewer, here, stored, block_number)
    row = (
        (
            await conn.execute(
                text(f"""SELECT b.id, b.status::text AS status, b.office_id, b.service_id, b.starts_at,
                       o.name AS office_name, s.ticket_prefix
                FROM bookings b JOIN offices o ON o.id = b.office_id JOIN services s ON s.id = b.service_id
                WHERE b.code = :code ORDER BY b.status IN {OPEN_STATUSES} DESC, b.id DESC LIMIT 1
                FOR UPDATE OF b"""),
                {"code": normalise_code(code)},
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError("No booking has this code. Check the code on your confirmation.")
    if row["office_id"] != here:
        raise InvalidStateError(
            f"This appointment is at {row['office_name']}, not at this office.", reason=InvalidStateReason.WRONG_OFFICE
        )
    status = BookingStatus(row["status"])
    if status is BookingStatus.CHECKED_IN:
        existing = (
            await conn.execute(
                text("SELECT id FROM tickets WHERE booking_id = :b ORDER BY id DESC LIMIT 1"), {"b": row["id"]}
            )
        ).scalar_one()
        found = await log.ticket(conn, existing)
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
            f"This appointment was {status.value.lower().replace('_', ' ')}; it cannot be checked in.",
            reason=InvalidStateReason.BOOKING_NOT_ACTIVE,
        )
    now = await _arrival(conn, viewer, office, arrived_at, max_offline)
    opens = row["starts_at"] - timedelta(minutes=int(str(office["checkin_opens_minutes"])))
    closes = row["starts_at"] + timedelta(minutes=int(str(office["checkin_closes_minutes"])))
    if now < opens:
        raise InvalidStateError(
            f"Too early: check-in opens at {_local(opens, office['timezone'])}.",
            reason=InvalidStateReason.CHECKIN_TOO_EARLY,
            at=opens,
        )
    if now > closes:
        raise InvalidStateError(
            f"Too late: check-in closed at {_local(closes, office['timezone'])}. Please ask at the information desk.",
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
    await conn.execute(text("UPDATE bookings SET status = 'CHECKED_IN' WHERE id = :id"), {"id": row["id"]})
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
    row = (
        (
            await conn.execute(
                text("""SELECT s.id, s.walk_in_allowed, s.ticket_prefix, s.name,
                       EXISTS (SELECT 1 FROM office_services os WHERE os.office_id = :office AND os.service_id = s.id)
                           AS offered
                FROM services s WHERE s.id = :id"""),
                {"id": service, "office": here},
            )
        )
        .mappings()
        .first()
        if service
        else None
    )
    if row is None:
        raise NotFoundError("No service has this ID.")
    if not row["offered"]:
        raise ValidationFailed("serviceId", f"This office does not offer {row['name']}.")
    if not row["walk_in_allowed"]:
        raise InvalidStateError(
            f"{row['name']} needs an appointment; book one on the web or by phone.",
            reason=InvalidStateReason.APPOINTMENT_REQUIRED,
        )
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("issueTicket", office=here, service=service, priority=priority.value)
        stored = await idempotency.claim(conn, viewer.caller, idempotency_key, "issueTicket", fingerprint)
        if stored is not None:
            return await _replay(conn, viewer, here, stored, block_number)
    now = await _arrival(conn, viewer, office, arrived_at, max_offline)
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
    change = await _announce(conn, ticket_id, here)
    if idempotency_key is not None:
        await idempotency.remember(conn, viewer.caller, idempotency_key, {"ticket_id": ticket_id})
    return change
