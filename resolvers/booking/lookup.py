"""Finding a booking: by code and manage token (a citizen), or by code alone (staff, partners)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotAllowedError, NotFoundError
from core.manage_tokens import manage_token_hash
from models.booking import BOOKINGS_WRITE, OPEN_STATUSES
from resolvers.accounts.viewer import Viewer
from resolvers.booking.access import may_manage_without_token
from resolvers.booking.codes import normalise_code
from resolvers.booking.records import BOOKING_COLUMNS, BookingRecord

NOT_FOUND = "No booking has this code and token."

# the newest booking with the code: codes are unique among open bookings, and may come back once closed
_BY_CODE = text(f"""SELECT {BOOKING_COLUMNS} FROM bookings b JOIN offices o ON o.id = b.office_id
                    WHERE b.code = :code ORDER BY b.status IN {OPEN_STATUSES} DESC, b.id DESC LIMIT 1""")
_BY_ID = text(f"SELECT {BOOKING_COLUMNS} FROM bookings b JOIN offices o ON o.id = b.office_id WHERE b.id = :id")
_LOCK = text("SELECT 1 FROM bookings WHERE id = :id FOR UPDATE")


async def by_id(conn: AsyncConnection, booking_id: int) -> BookingRecord:
    return BookingRecord.from_row((await conn.execute(_BY_ID, {"id": booking_id})).mappings().one())


async def by_code_and_token(conn: AsyncConnection, secret_key: bytes, code: str, token: str) -> BookingRecord | None:
    """A wrong token and a wrong code look the same: None."""
    row = (
        (
            await conn.execute(
                text(f"""SELECT {BOOKING_COLUMNS} FROM bookings b JOIN offices o ON o.id = b.office_id
                     WHERE b.code = :code AND b.manage_token_hash = :hash"""),
                {"code": normalise_code(code), "hash": manage_token_hash(secret_key, token)},
            )
        )
        .mappings()
        .first()
    )
    return BookingRecord.from_row(row) if row else None


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
        found = BookingRecord.from_row(row)
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
    found = BookingRecord.from_row(row)
    return found if may_manage_without_token(viewer, found) else None
