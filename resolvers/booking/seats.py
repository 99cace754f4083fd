"""Taking, holding and giving back a seat on a slot: every taker serialises on the slot's row, so a seat is
never given twice.

Seats taken = bookings (`slots.booked`) + live holds (rows of slot_holds whose expires_at is ahead). A seat is
taken in two statements: the slot's row is locked first, then a statement of its own counts and takes. Under
READ COMMITTED that second statement reads a fresh snapshot, so it sees every booking and hold committed
before the lock was ours, and nobody else can add one until we commit. The CHECK on `booked <= capacity` is
the last line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ErrorCode, InvalidStateError, InvalidStateReason, NotFoundError, ValidationFailed
from core.messages import msg
from core.validation import parse_id
from models.agenda import slot_holds, slots
from models.catalogue import ChallengePolicy
from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.availability.queries import bookable
from resolvers.booking.records import SlotUnavailableError
from resolvers.rows import record_from_row, records_from_rows

ALTERNATIVES = 5

# the clock of statements run under the slot's row lock (resolvers/agenda/records.py held_seats); `:seats` must
# fit, a party's as one (resolvers/booking/party.py)
LOCKED = bookable("clock_timestamp()", seats="CAST(:seats AS integer)")

_LOCK = select(slots.c.id).where(slots.c.id == bindparam("slot_id")).with_for_update()

# Native SQL (this and _HOLD): the seat-taking statements, whose free-seat test is the SQL rule of bookable()
# (the slot as it is now in the same round trip: its office's time zone, its seats held and kept back)
_TAKE = text(f"""
    UPDATE slots AS sl SET booked = sl.booked + :seats
    FROM offices o
    WHERE o.id = sl.office_id AND sl.id = (SELECT sl.id {LOCKED} AND sl.id = :slot_id)
    RETURNING {SLOT_COLUMNS}
""")

_HOLD = text(f"""
    INSERT INTO slot_holds (slot_id, token_hash, address_hash, document_hash, rerelease, seats, expires_at)
    SELECT sl.id, :token_hash, :address_hash, :document_hash, :rerelease, :seats,
        clock_timestamp() + make_interval(secs => :seconds)
    {LOCKED} AND sl.id = :slot_id
    RETURNING expires_at
""")

_HOLD_OF = select(slot_holds.c.slot_id, slot_holds.c.seats).where(slot_holds.c.token_hash == bindparam("token_hash"))

# the hold's seats become the booking's: the hold goes, `booked` grows, the sum stays
_USE_HOLD = (
    delete(slot_holds)
    .where(
        slot_holds.c.token_hash == bindparam("token_hash"),
        slot_holds.c.slot_id == bindparam("slot_id"),
        slot_holds.c.expires_at > func.clock_timestamp(),
    )
    .returning(slot_holds.c.id)
)

_GIVE_BACK = (
    update(slots)
    .where(slots.c.id == bindparam("slot_id"))
    .values(booked=func.greatest(slots.c.booked - bindparam("seats"), 0))
)

# Native SQL (this and _ALTERNATIVES): a slot's held and reserved seats are SQL rules of their own
# (resolvers/agenda/records.py held_seats, RESERVED_SEATS), read on every seat taken
_SLOT = text(f"SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.id = :slot_id")
# the same with its service's challenge policy, which `book` and `holdSlot` ask next (one round trip for both),
# and whether it asks for confirmation (`book`'s one-call path is for the services that do not)
_SLOT_AND_POLICY = text(f"""
    SELECT {SLOT_COLUMNS}, s.challenge_policy, s.confirmation_required
    FROM slots sl JOIN offices o ON o.id = sl.office_id JOIN services s ON s.id = sl.service_id
    WHERE sl.id = :slot_id
""")

# The free slots of the same service nearest in time to the one asked for, same office first. Three
# short index-ordered reads (this office after, this office before, other offices after) instead of
# sorting every free slot of a busy procedure.
_FITTING = bookable(seats="CAST(:seats AS integer)")
_ALTERNATIVES = text(f"""
    SELECT * FROM (
        SELECT * FROM (
            (SELECT {SLOT_COLUMNS} {_FITTING} AND sl.office_id = :office_id AND sl.starts_at >= :starts_at
                AND sl.id <> :slot_id ORDER BY sl.starts_at LIMIT :limit)
            UNION ALL
            (SELECT {SLOT_COLUMNS} {_FITTING} AND sl.office_id = :office_id AND sl.starts_at < :starts_at
                ORDER BY sl.starts_at DESC LIMIT :limit)
            UNION ALL
            (SELECT {SLOT_COLUMNS} {_FITTING} AND sl.office_id <> :office_id AND sl.starts_at >= :starts_at
                ORDER BY sl.starts_at LIMIT :limit)
        ) AS candidates
        ORDER BY (office_id = :office_id) DESC, abs(extract(epoch FROM starts_at - :starts_at)), id
        LIMIT :limit
    ) AS nearest ORDER BY starts_at, office_id
""")


async def slot(conn: AsyncConnection, slot_id: int) -> SlotRecord | None:
    row = (await conn.execute(_SLOT, {"slot_id": slot_id})).mappings().first()
    return record_from_row(SlotRecord, row) if row else None


async def find_slot(conn: AsyncConnection, slot_id: str) -> SlotRecord:
    """The slot a client named by its ID; NotFound when there is none."""
    number = parse_id(slot_id)
    found = await slot(conn, number) if number is not None else None
    if found is None:
        raise NotFoundError("No slot has this ID.")
    return found


async def find_slot_and_policy(conn: AsyncConnection, slot_id: str) -> tuple[SlotRecord, ChallengePolicy]:
    """find_slot, and the challenge policy of the slot's service."""
    found, policy, _ = await find_slot_for_booking(conn, slot_id)
    return found, policy


async def find_slot_for_booking(conn: AsyncConnection, slot_id: str) -> tuple[SlotRecord, ChallengePolicy, bool]:
    """find_slot, the challenge policy of the slot's service, and whether the service asks for confirmation."""
    number = parse_id(slot_id)
    row = (await conn.execute(_SLOT_AND_POLICY, {"slot_id": number})).mappings().first() if number is not None else None
    if row is None:
        raise NotFoundError("No slot has this ID.")
    return (
        record_from_row(SlotRecord, row),
        ChallengePolicy(row["challenge_policy"]),
        bool(row["confirmation_required"]),
    )


async def lock_slot(conn: AsyncConnection, slot_id: int) -> None:
    """The slot's row, ours until commit: every taker and giver of its seats serialises on it."""
    await conn.execute(_LOCK, {"slot_id": slot_id})


async def unavailable(
    conn: AsyncConnection, found: SlotRecord, with_reserved: bool, seats: int = 1
) -> SlotUnavailableError:
    """The refusal, with the nearest slots this caller (a party of `seats`) could take instead."""
    params = {
        "service_id": found.service_id,
        "slot_id": found.id,
        "office_id": found.office_id,
        "starts_at": found.starts_at,
        "limit": ALTERNATIVES,
        "with_reserved": with_reserved,
        "seats": seats,
    }
    alternatives = records_from_rows(SlotRecord, (await conn.execute(_ALTERNATIVES, params)).mappings())
    # read again: the slot as it was before the lock was awaited may be stale
    now = await slot(conn, found.id)
    if now is not None and now.remaining_with_reserved == 0:
        return SlotUnavailableError(ErrorCode.SLOT_FULL, "This slot has just been taken.", alternatives)
    if now is not None and not with_reserved and now.remaining == 0 and now.reserved > 0:
        return SlotUnavailableError(
            ErrorCode.SLOT_FULL,
            "The last seats of this slot are kept for the phone line and the desk until shortly before it starts.",
            alternatives,
        )
    if now is not None and 0 < now.remaining_for(with_reserved) < seats:
        return SlotUnavailableError(
            ErrorCode.SLOT_FULL,
            msg("This slot has {count} free seat(s), fewer than the party.", count=now.remaining_for(with_reserved)),
            alternatives,
        )
    return SlotUnavailableError(
        ErrorCode.SLOT_UNAVAILABLE, "This slot cannot be booked (past, closed or not open yet).", alternatives
    )


async def _take(conn: AsyncConnection, found: SlotRecord, *, with_reserved: bool, seats: int) -> SlotRecord:
    """_TAKE, under the slot's lock: the slot with its seats taken, or SlotUnavailable."""
    params = {"slot_id": found.id, "service_id": found.service_id, "with_reserved": with_reserved, "seats": seats}
    row = (await conn.execute(_TAKE, params)).mappings().first()
    if row is None:
        raise await unavailable(conn, found, with_reserved, seats)
    return record_from_row(SlotRecord, row)


async def take_seat(conn: AsyncConnection, found: SlotRecord, *, with_reserved: bool, seats: int = 1) -> SlotRecord:
    """Takes `seats` seats (a party's, all or none) for a booking, or raises SlotUnavailable with the nearest free
    alternatives.

    with_reserved: a PHONE or DESK booking, which may take the seats its agenda keeps for those channels.
    """
    await lock_slot(conn, found.id)
    return await _take(conn, found, with_reserved=with_reserved, seats=seats)


async def hold_seat(
    conn: AsyncConnection,
    found: SlotRecord,
    *,
    token_hash: bytes,
    address_hash: bytes | None,
    seconds: float,
    with_reserved: bool,
    document_hash: bytes | None = None,
    rerelease: bool = False,
    seats: int = 1,
) -> datetime:
    """Takes `seats` seats (a party's, all or none) for a hold of `seconds`; when it expires. SlotUnavailable as
    take_seat.

    document_hash: the citizen the hold is for, where known (an offer to a named citizen), counted by
    holds.within_hold_limit. rerelease: nobody's hold, keeping a freed seat back (resolvers/booking/freed_seats.py)."""
    await lock_slot(conn, found.id)
    params = {
        "slot_id": found.id,
        "service_id": found.service_id,
        "with_reserved": with_reserved,
        "token_hash": token_hash,
        "address_hash": address_hash,
        "document_hash": document_hash,
        "rerelease": rerelease,
        "seconds": seconds,
        "seats": seats,
    }
    expires_at = (await conn.execute(_HOLD, params)).scalar()
    if expires_at is None:
        raise await unavailable(conn, found, with_reserved, seats)
    assert isinstance(expires_at, datetime)
    return expires_at


async def take_held_seat(conn: AsyncConnection, found: SlotRecord, token_hash: bytes, seats: int = 1) -> SlotRecord:
    """Turns a live hold on this slot into booked seats: nobody else can have taken them, whatever the slot's
    other seats and the seats kept for the phone line (the hold took its seats under their rules). `seats`: the
    party's size, which must be the hold's."""
    held = (await conn.execute(_HOLD_OF, {"token_hash": token_hash})).mappings().first()
    if held is None:
        raise ValidationFailed("holdToken", "No hold has this token: it was used already, or never given.")
    if held["slot_id"] != found.id:
        raise ValidationFailed("holdToken", "This hold is for another slot.")
    if held["seats"] != seats:
        raise ValidationFailed(
            "companions",
            msg("This hold keeps {count} seat(s): bring as many people, or hold the slot again.", count=held["seats"]),
        )
    await lock_slot(conn, found.id)
    if (await conn.execute(_USE_HOLD, {"token_hash": token_hash, "slot_id": found.id})).first() is None:
        raise InvalidStateError(
            "This hold has expired: its seat went back. Pick a time again.", InvalidStateReason.HOLD_EXPIRED
        )
    return await _take(conn, found, with_reserved=True, seats=seats)  # SlotUnavailable: closed or begun meanwhile


async def give_back_seat(conn: AsyncConnection, slot_id: int, seats: int = 1) -> None:
    await conn.execute(_GIVE_BACK, {"slot_id": slot_id, "seats": seats})
