"""Cancelling a booking: its seats go to the waitlist first, or back to everyone after the re-release delay."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core import availability_versions
from core.errors import InvalidStateError
from core.messages import msg, status_word
from models.booking import BookingStatus, bookings
from resolvers.accounts.viewer import Viewer
from resolvers.booking import history, lookup, party
from resolvers.booking.access import actor_channel, ensure_not_begun
from resolvers.booking.freed_seats import OfferTiming
from resolvers.booking.records import BookingRecord
from resolvers.outbox.enqueue import enqueue

MAX_REASON = 500

_CANCEL = update(bookings).where(bookings.c.id == bindparam("booking_id")).values(status=BookingStatus.CANCELLED)


async def cancel(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    code: str,
    token: str | None,
    reason: str | None,
    timing: OfferTiming,
) -> BookingRecord:
    """The seat goes to the waitlist first, or back to everyone after the re-release delay (offers.py)."""
    booking = await lookup.for_change(conn, viewer, secret_key, code, token)
    # CancelResult has no ValidationError: an over-long reason is trimmed, not refused
    reason = (reason or "").strip()[:MAX_REASON] or None
    # a PENDING booking holds a seat too: its citizen may let it go without confirming first
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.PENDING):
        raise InvalidStateError(msg("A {status} booking cannot be cancelled.", status=status_word(booking.status)))
    await ensure_not_begun(conn, booking)
    await conn.execute(_CANCEL, {"booking_id": booking.id})
    await party.free_seats(conn, booking.slot_id, booking.party_size, timing)
    await history.record_event(conn, booking.id, BookingStatus.CANCELLED, actor_channel(viewer), viewer.caller, reason)
    await enqueue(conn, "booking.cancellation", booking.id, {"reason": reason})
    # the seat freed, or offered to this service's waitlist: only this service's answers changed
    availability_versions.changed(conn, [booking.service_id])
    return await lookup.by_id(conn, booking.id)
