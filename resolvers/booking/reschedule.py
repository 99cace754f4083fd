"""Moving a booking to another slot of its procedure: all its seats, or nothing."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core import availability_versions
from core.errors import InvalidStateError, InvalidStateReason, ValidationFailed
from core.messages import msg, status_word
from models.booking import BookingStatus, Channel, bookings
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.booking import history, lookup, party, seats
from resolvers.booking.access import actor_channel, booking_channel, ensure_not_begun, may_use_reserved
from resolvers.booking.freed_seats import OfferTiming
from resolvers.booking.records import ConfirmationRecord
from resolvers.outbox.enqueue import enqueue

# a new time earns a new reminder
_MOVE = (
    update(bookings)
    .where(bookings.c.id == bindparam("booking_id"))
    .values(
        slot_id=bindparam("to_slot_id"),
        office_id=bindparam("to_office_id"),
        starts_at=bindparam("to_starts_at"),
        ends_at=bindparam("to_ends_at"),
        reminder_queued_at=None,
    )
)


async def reschedule(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    code: str,
    slot_id: str,
    token: str | None,
    idempotency_key: str | None,
    timing: OfferTiming,
) -> ConfirmationRecord:
    """The new seat is taken and the old one freed in one transaction: on any failure nothing moves. The old
    seat goes to the waitlist first (resolvers/booking/freed_seats.py).

    The caller proves its right to the booking first (for_change, which also locks it: a concurrent
    request with the same key waits there); only then may a stored result be replayed.
    """
    booking = await lookup.for_change(conn, viewer, secret_key, code, token)
    scope = idempotency.booking_scope(viewer, booking.id)
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("reschedule", booking=booking.id, slot=slot_id.strip())
        stored = await idempotency.claim(conn, scope, idempotency_key, "reschedule", fingerprint)
        if stored is not None:
            return await lookup.with_token(conn, secret_key, int(str(stored["booking_id"])))
    if booking.status is BookingStatus.PENDING:
        raise InvalidStateError(
            "Confirm this booking from the link mailed to you before moving it.", reason=InvalidStateReason.PENDING
        )
    if booking.status is not BookingStatus.BOOKED:
        raise InvalidStateError(msg("A {status} booking cannot be moved.", status=status_word(booking.status)))
    await ensure_not_begun(conn, booking)
    target = await seats.find_slot(conn, slot_id)
    if target.service_id != booking.service_id:
        raise ValidationFailed("slotId", "The new slot is for another procedure; book that one instead.")
    if target.id == booking.slot_id:
        raise ValidationFailed("slotId", "The booking is already in this slot.")
    if token is None and viewer.partner_id is None:
        booking_channel(viewer, Channel.WEB, target.office_id)  # staff need rights at the new office too
    # seats are locked in slot order, so two reschedules crossing the same two slots cannot deadlock
    with_reserved = token is None and may_use_reserved(viewer, target.office_id)
    # the whole party moves: all its seats on the new slot, or nothing
    size = booking.party_size
    if target.id < booking.slot_id:
        taken = await seats.take_seat(conn, target, with_reserved=with_reserved, seats=size)
        await party.free_seats(conn, booking.slot_id, size, timing)
    else:
        await party.free_seats(conn, booking.slot_id, size, timing)
        taken = await seats.take_seat(conn, target, with_reserved=with_reserved, seats=size)
    moved_to = {
        "to_slot_id": taken.id,
        "to_office_id": taken.office_id,
        "to_starts_at": taken.starts_at,
        "to_ends_at": taken.ends_at,
    }
    await conn.execute(_MOVE, {"booking_id": booking.id} | moved_to)
    note = f"moved from {booking.starts_at.isoformat()} (office {booking.office_id}) to {taken.starts_at.isoformat()}"
    await history.record_event(conn, booking.id, BookingStatus.BOOKED, actor_channel(viewer), viewer.caller, note)
    await enqueue(conn, "booking.change", booking.id, {"previous_starts_at": booking.starts_at.isoformat()})
    if idempotency_key is not None:
        await idempotency.remember(conn, scope, idempotency_key, {"booking_id": booking.id})
    availability_versions.changed(conn, [booking.service_id])  # both slots are the same service's
    return await lookup.with_token(conn, secret_key, booking.id)
