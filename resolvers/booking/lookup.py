"""Finding a booking: by code and manage token (a citizen), or by code alone (staff, partners)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotAllowedError, NotFoundError
from core.manage_tokens import manage_token, manage_token_hash
from core.messages import msg
from models.booking import BOOKINGS_WRITE, OPEN_BOOKING_STATUSES, bookings
from resolvers.accounts.viewer import Viewer
from resolvers.booking.access import may_manage_without_token
from resolvers.booking.codes import normalise_code
from resolvers.booking.records import BOOKING, BookingRecord, ConfirmationRecord
from resolvers.rows import record_from_row

NOT_FOUND = msg("No booking has this code and token.")

# the newest booking with the code: codes are unique among open bookings, and may come back once closed
_BY_CODE = (
    BOOKING.where(bookings.c.code == bindparam("code"))
    .order_by(bookings.c.status.in_(OPEN_BOOKING_STATUSES).desc(), bookings.c.id.desc())
    .limit(1)
)
_BY_ID = BOOKING.where(bookings.c.id == bindparam("id"))
_BY_TOKEN = BOOKING.where(bookings.c.code == bindparam("code"), bookings.c.manage_token_hash == bindparam("hash"))
_LOCK = select(bookings.c.id).where(bookings.c.id == bindparam("id")).with_for_update()


async def by_id(conn: AsyncConnection, booking_id: int) -> BookingRecord:
    return record_from_row(BookingRecord, (await conn.execute(_BY_ID, {"id": booking_id})).mappings().one())


async def with_token(conn: AsyncConnection, secret_key: bytes, booking_id: int) -> ConfirmationRecord:
    """The booking and the manage token its nonce gives: what booking and moving answer, a replay too."""
    booking = await by_id(conn, booking_id)
    return ConfirmationRecord(booking=booking, manage_token=manage_token(secret_key, booking.manage_nonce))


async def by_code_and_token(conn: AsyncConnection, secret_key: bytes, code: str, token: str) -> BookingRecord | None:
    """A wrong token and a wrong code look the same: None."""
    params = {"code": normalise_code(code), "hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_BY_TOKEN, params)).mappings().first()
    return record_from_row(BookingRecord, row) if row else None


async def for_change(
    conn: AsyncConnection, viewer: Viewer, secret_key: bytes, code: str, token: str | None
) -> BookingRecord:
    """The booking a caller may change, locked for this transaction; NotFound or NotAllowed otherwise."""
    if token is not None:
        found = await by_code_and_token(conn, secret_key, code, token)
        if found is None:
            raise NotFoundError(NOT_FOUND)
    else:
        row = (await conn.execute(_BY_CODE, {"code": normalise_code(code)})).mappings().first()
        if row is None:
            raise NotFoundError(NOT_FOUND)
        found = record_from_row(BookingRecord, row)
        if not may_manage_without_token(viewer, found):
            # nobody learns that a code exists from a booking they may not see: not citizens without the
            # token, not a partner probing other partners' codes, not staff of another office
            raise NotFoundError(NOT_FOUND)
        if not may_manage_without_token(viewer, found, BOOKINGS_WRITE):
            raise NotAllowedError("You may read this booking but not change it.")
    await conn.execute(_LOCK, {"id": found.id})
    # re-read under the lock: a concurrent change may have committed in between
    return await by_id(conn, found.id)


async def for_reading(conn: AsyncConnection, viewer: Viewer, code: str) -> BookingRecord | None:
    """Staff and partners read a booking by code alone when they have rights over it."""
    row = (await conn.execute(_BY_CODE, {"code": normalise_code(code)})).mappings().first()
    if row is None:
        return None
    found = record_from_row(BookingRecord, row)
    return found if may_manage_without_token(viewer, found) else None
