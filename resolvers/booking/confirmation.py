"""Proof of a reachable person: a PENDING booking becomes BOOKED when the citizen confirms it from the mailed
link before its deadline; otherwise it is cancelled and its seat goes back on sale.

A lapsed booking becomes CANCELLED (actor "system", note "not confirmed") rather than a status of its own:
to the citizen, the partner API, the code index and the statistics it is simply a booking that no longer
holds its seat, and every reader of CANCELLED already does the right thing with it; the history says why.
Nobody is mailed about it: the address never proved to be anyone's.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, NotFoundError
from core.messages import msg, status_word
from models.booking import BookingStatus, booking_events, bookings
from resolvers.booking import history, lookup
from resolvers.booking.records import BookingRecord
from resolvers.outbox.enqueue import enqueue

NOT_CONFIRMED = "not confirmed"
SWEEP_BATCH = 500

# Lapsed PENDING bookings become CANCELLED and their seats come back, in one statement. SKIP LOCKED: two
# workers (or a worker and a booking of the same slot) never take the same row, and a row being confirmed
# right now is left to that confirmation. One slots UPDATE per slot with the count: a statement's CTEs share
# one snapshot, so a second UPDATE of the same slot row would be lost.
# Native SQL: the sweep is one statement of data-modifying CTEs (cancel, give seats back, log) over SKIP LOCKED.
_EXPIRE = """
    WITH lapsed AS (
        SELECT id FROM bookings
        WHERE status = 'PENDING' AND confirm_by <= now() {scope}
        ORDER BY confirm_by LIMIT :batch
        FOR UPDATE SKIP LOCKED
    ),
    expired AS (
        UPDATE bookings b SET status = 'CANCELLED' FROM lapsed WHERE b.id = lapsed.id
        RETURNING b.id, b.slot_id, b.party_size
    ),
    seats AS (
        UPDATE slots sl SET booked = greatest(sl.booked - freed.n, 0)
        FROM (SELECT slot_id, sum(party_size) AS n FROM expired GROUP BY slot_id) AS freed
        WHERE sl.id = freed.slot_id
    ),
    events AS (
        INSERT INTO booking_events (booking_id, status, actor, note)
        SELECT id, 'CANCELLED', 'system', :note FROM expired
    )
    -- one row per seat freed (a party's several), each for the waitlist in turn
    SELECT slot_id FROM expired, generate_series(1, expired.party_size)
"""
_EXPIRE_ALL = text(_EXPIRE.format(scope=""))
_EXPIRE_SLOT = text(_EXPIRE.format(scope="AND slot_id = :slot_id"))


async def expire_lapsed(conn: AsyncConnection, *, slot_id: int | None = None) -> list[int]:
    """Cancels the PENDING bookings past their deadline (of one slot, or a batch of all) and gives their seats
    back: the slot of each seat (a party's as often as it had seats), for the caller to offer to the waitlist
    (resolvers/booking/freed_seats.pass_on).
    Idempotent: a second run, or a second worker, finds nothing more to do."""
    if slot_id is None:
        params: dict[str, object] = {"batch": SWEEP_BATCH, "note": NOT_CONFIRMED}
        return [int(freed) for freed in (await conn.execute(_EXPIRE_ALL, params)).scalars()]
    params = {"batch": SWEEP_BATCH, "note": NOT_CONFIRMED, "slot_id": slot_id}
    return [int(freed) for freed in (await conn.execute(_EXPIRE_SLOT, params)).scalars()]


_CONFIRM = (
    update(bookings)
    .where(
        bookings.c.id == bindparam("booking_id"),
        bookings.c.status == BookingStatus.PENDING,
        bookings.c.confirm_by > func.now(),
    )
    .values(status=BookingStatus.BOOKED, confirm_by=None)
    .returning(bookings.c.id)
)


async def confirm(conn: AsyncConnection, secret_key: bytes, code: str, token: str) -> BookingRecord:
    """The citizen proves to read the mail: the code and the manage token it carried, before the deadline."""
    found = await lookup.by_code_and_token(conn, secret_key, code, token)
    if found is None:
        raise NotFoundError(lookup.NOT_FOUND)
    # the conditional UPDATE locks the row and re-checks it: a sweep that cancelled it first wins, and one
    # that comes after finds it BOOKED
    if (await conn.execute(_CONFIRM, {"booking_id": found.id})).first() is None:
        current = await lookup.by_id(conn, found.id)
        if current.status is BookingStatus.PENDING:
            raise InvalidStateError(
                "The time to confirm this booking has passed; its seat is on sale again.",
                reason=InvalidStateReason.CONFIRMATION_EXPIRED,
                at=current.confirm_by,
            )
        if current.status is BookingStatus.CANCELLED and await _lapsed(conn, current.id):
            raise InvalidStateError(
                "This booking was not confirmed in time and was cancelled; please book again.",
                reason=InvalidStateReason.CONFIRMATION_EXPIRED,
            )
        raise InvalidStateError(
            msg("This booking is {status}, not waiting for a confirmation.", status=status_word(current.status)),
            reason=InvalidStateReason.NOT_PENDING,
        )
    await history.record_event(conn, found.id, BookingStatus.BOOKED, None, "citizen", "confirmed")
    # now the citizen gets the booking's real confirmation: the QR code to check in, the calendar file
    await enqueue(conn, "booking.confirmation", found.id)
    return await lookup.by_id(conn, found.id)


_LAST_NOTE = (
    select(booking_events.c.note)
    .where(booking_events.c.booking_id == bindparam("booking_id"))
    .order_by(booking_events.c.id.desc())
    .limit(1)
)


async def _lapsed(conn: AsyncConnection, booking_id: int) -> bool:
    last = (await conn.execute(_LAST_NOTE, {"booking_id": booking_id})).scalar_one_or_none()
    return bool(last == NOT_CONFIRMED)
