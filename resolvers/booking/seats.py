"""Taking and giving back a seat on a slot: the one conditional UPDATE that makes double booking impossible."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.availability.queries import BOOKABLE
from resolvers.booking.records import SlotUnavailableError

ALTERNATIVES = 5

# Row-locked by the UPDATE: concurrent bookings of one slot queue here, and each re-checks
# `booked < capacity` once the one before it commits. The CHECK constraint is the last line.
_TAKE = text(f"""
    UPDATE slots AS target SET booked = target.booked + 1
    FROM (SELECT sl.id {BOOKABLE} AND sl.id = :slot_id) AS bookable
    WHERE target.id = bookable.id AND target.booked < target.capacity
    RETURNING target.id, target.office_id, target.service_id, target.starts_at, target.ends_at, target.capacity,
              target.booked, (SELECT timezone FROM offices WHERE id = target.office_id) AS timezone
""")

_GIVE_BACK = text("UPDATE slots SET booked = booked - 1 WHERE id = :slot_id AND booked > 0")

_SLOT = text(f"SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.id = :slot_id")

# The free slots of the same service nearest in time to the one asked for, same office first. Three
# short index-ordered reads (this office after, this office before, other offices after) instead of
# sorting every free slot of a busy procedure.
_ALTERNATIVES = text(f"""
    SELECT * FROM (
        SELECT * FROM (
            (SELECT {SLOT_COLUMNS} {BOOKABLE} AND sl.office_id = :office_id AND sl.starts_at >= :starts_at
                AND sl.id <> :slot_id ORDER BY sl.starts_at LIMIT :limit)
            UNION ALL
            (SELECT {SLOT_COLUMNS} {BOOKABLE} AND sl.office_id = :office_id AND sl.starts_at < :starts_at
                ORDER BY sl.starts_at DESC LIMIT :limit)
            UNION ALL
            (SELECT {SLOT_COLUMNS} {BOOKABLE} AND sl.office_id <> :office_id AND sl.starts_at >= :starts_at
                ORDER BY sl.starts_at LIMIT :limit)
        ) AS candidates
        ORDER BY (office_id = :office_id) DESC, abs(extract(epoch FROM starts_at - :starts_at)), id
        LIMIT :limit
    ) AS nearest ORDER BY starts_at, office_id
""")


async def slot(conn: AsyncConnection, slot_id: int) -> SlotRecord | None:
    row = (await conn.execute(_SLOT, {"slot_id": slot_id})).mappings().first()
    return SlotRecord.from_row(row) if row else None


async def take_seat(conn: AsyncConnection, found: SlotRecord) -> SlotRecord:
    """Takes one seat, or raises SlotUnavailable with the nearest free alternatives."""
    slot_id = found.id
    taken = (await conn.execute(_TAKE, {"slot_id": slot_id, "service_id": found.service_id})).mappings().first()
    if taken is not None:
        return SlotRecord.from_row(taken)
    alternatives = [
        SlotRecord.from_row(row)
        for row in (
            await conn.execute(
                _ALTERNATIVES,
                {
                    "service_id": found.service_id,
                    "slot_id": slot_id,
                    "office_id": found.office_id,
                    "starts_at": found.starts_at,
                    "limit": ALTERNATIVES,
                },
            )
        ).mappings()
    ]
    # read again: the slot as it was before the UPDATE waited on a concurrent booking may be stale
    now = await slot(conn, slot_id)
    full = now is not None and now.booked >= now.capacity
    raise SlotUnavailableError(
        "SLOT_FULL" if full else "SLOT_UNAVAILABLE",
        "This slot has just been taken." if full else "This slot cannot be booked (past, closed or not open yet).",
        alternatives,
    )


async def give_back_seat(conn: AsyncConnection, slot_id: int) -> None:
    await conn.execute(_GIVE_BACK, {"slot_id": slot_id})
