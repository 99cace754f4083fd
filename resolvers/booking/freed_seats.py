"""Freed seats go to the waitlist before anyone else can see them.

A seat that frees up (a cancellation, a reschedule away, and whatever else gives a booked seat back: call
`free_seat` instead of seats.give_back_seat) is held at once, in the same transaction, for the first WAITING
entry that matches it: same procedure, an office the entry accepts, the slot's local day, weekday and start
within the entry's (resolvers/availability/preferences.py), the slot still ahead. The entry becomes OFFERED
until `offer_expires_at` (TURNERO_OFFER_MINUTES); the hold lasts OFFER_GRACE longer, so that between the
offer's end and the expiry job's next run (every 30 s) the seat stays hidden. A decline (leaveWaitlist) or
the expiry passes the seat to the next matching entry the same way.
With nobody waiting, the seat is held by nobody for TURNERO_RERELEASE_DELAY_MINUTES: that hold frees itself in
SQL, as every hold does, so a bot watching for cancellations sees the seat only when anyone may.

Locks: the slot's row first (the seat's own serialisation, resolvers/booking/seats.py), then the entry with
SKIP LOCKED, so two seats freed at once never go to one entry and a freeing transaction never waits on an
entry someone is accepting or the expiry job is passing on (those lock the entry first, then the slot).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from models.agenda import slot_holds
from models.waitlist import WaitlistStatus, waitlist_entries
from resolvers.agenda.records import SlotRecord
from resolvers.availability.preferences import slot_suits
from resolvers.booking import seats
from resolvers.booking.records import SlotUnavailableError

# the expiry job runs every 30 s: the seat stays held this long after the offer ends, until the job passes it on
OFFER_GRACE = timedelta(minutes=2)
EXPIRY_BATCH = 100


@dataclass(frozen=True, slots=True)
class OfferTiming:
    offer: timedelta
    rerelease_delay: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> OfferTiming:
        return cls(
            offer=timedelta(minutes=settings.offer_minutes),
            rerelease_delay=timedelta(minutes=settings.rerelease_delay_minutes),
        )


# The first entry still waiting that this seat suits. The slot's row is ours already (its seat was just given
# back, or hold_seat will lock it before anything is taken); SKIP LOCKED passes over an entry another
# transaction is offering a seat to right now.
# Native SQL (this and _KEPT_BACK): whether a seat suits an entry is an SQL rule of its own (slot_suits).
_FIRST_MATCH = text(f"""
    SELECT w.id, w.document_hash FROM waitlist_entries w
    JOIN slots sl ON sl.id = :slot_id
    JOIN offices o ON o.id = sl.office_id
    WHERE w.service_id = sl.service_id AND w.status = 'WAITING' AND {slot_suits("w")}
      AND sl.starts_at > now()
    ORDER BY w.id
    LIMIT 1
    FOR UPDATE OF w SKIP LOCKED
""")

# Native SQL (this and _EXPIRE): the entry's change and its outbox message in one data-modifying statement.
_OFFER = text("""
    WITH offered AS (
        UPDATE waitlist_entries SET status = 'OFFERED', offer_slot_id = :slot_id, offer_expires_at = :expires_at,
            offer_hold_id = (SELECT id FROM slot_holds WHERE token_hash = :token_hash)
        WHERE id = :id
        RETURNING id
    )
    INSERT INTO outbox (kind, payload) SELECT 'waitlist.offer', jsonb_build_object('waitlist_entry_id', id) FROM offered
""")


async def free_seat(conn: AsyncConnection, slot_id: int, timing: OfferTiming) -> None:
    """A booked seat of this slot is given up: offered to the waitlist, else shown again after the delay."""
    await seats.give_back_seat(conn, slot_id)  # locks the slot's row until commit
    await pass_on(conn, slot_id, timing)


async def pass_on(conn: AsyncConnection, slot_id: int, timing: OfferTiming) -> int | None:
    """A seat of this slot that nobody holds any more goes to the first matching waiting entry (its id), or is
    held by nobody for the re-release delay (None). Nothing is held when the slot is not open to web bookings
    (begun, closed, its free seat one of those kept for the phone line): nobody could have booked it."""
    found = await seats.slot(conn, slot_id)
    if found is None:
        return None
    entry = (await conn.execute(_FIRST_MATCH, {"slot_id": slot_id})).mappings().first()
    token_hash = secrets.token_bytes(32)  # a token nobody is given: the entry's id leads to this hold
    if entry is None:
        if timing.rerelease_delay > timedelta(0):
            await _hold(conn, found, token_hash, None, timing.rerelease_delay, rerelease=True)
        return None
    held_until = await _hold(conn, found, token_hash, bytes(entry["document_hash"]), timing.offer + OFFER_GRACE)
    if held_until is None:
        return None
    values = {"id": entry["id"], "slot_id": slot_id, "expires_at": held_until - OFFER_GRACE, "token_hash": token_hash}
    await conn.execute(_OFFER, values)
    return int(entry["id"])


async def _hold(
    conn: AsyncConnection,
    found: SlotRecord,
    token_hash: bytes,
    document_hash: bytes | None,
    length: timedelta,
    *,
    rerelease: bool = False,
) -> datetime | None:
    try:
        return await seats.hold_seat(
            conn,
            found,
            token_hash=token_hash,
            address_hash=None,
            seconds=length.total_seconds(),
            with_reserved=False,
            document_hash=document_hash,
            rerelease=rerelease,
        )
    except SlotUnavailableError:
        return None


# an offer's seat leaves its entry: the hold goes, so that pass_on can hold the seat for the next
_DROP_HOLD = delete(slot_holds).where(slot_holds.c.id == bindparam("hold_id"))


async def withdraw(conn: AsyncConnection, slot_id: int, hold_id: int | None, timing: OfferTiming) -> None:
    """The entry holding this offer no longer does (declined, expired; the entry is locked and updated by the
    caller): its seat goes to the next matching entry, or back after the delay."""
    await seats.lock_slot(conn, slot_id)
    if hold_id is not None:
        await conn.execute(_DROP_HOLD, {"hold_id": hold_id})
    await pass_on(conn, slot_id, timing)


# One due offer at a time, each in its own transaction; SKIP LOCKED: two workers never pass one seat on twice,
# and an entry being accepted right now (its row locked by acceptOffer) is left to that.
_DUE = (
    select(waitlist_entries.c.id, waitlist_entries.c.offer_slot_id, waitlist_entries.c.offer_hold_id)
    .where(waitlist_entries.c.status == WaitlistStatus.OFFERED, waitlist_entries.c.offer_expires_at <= func.now())
    .order_by(waitlist_entries.c.offer_expires_at, waitlist_entries.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_EXPIRE = text("""
    WITH expired AS (
        UPDATE waitlist_entries SET status = 'EXPIRED', offer_hold_id = NULL WHERE id = :id RETURNING id
    )
    INSERT INTO outbox (kind, payload)
    SELECT 'waitlist.offer_expired', jsonb_build_object('waitlist_entry_id', id) FROM expired
""")


async def expire_one(conn: AsyncConnection, timing: OfferTiming) -> bool:
    """The oldest offer whose time is up becomes EXPIRED and its seat is passed on; False when none is due."""
    due = (await conn.execute(_DUE)).mappings().first()
    if due is None:
        return False
    await conn.execute(_EXPIRE, {"id": due["id"]})
    await withdraw(conn, int(due["offer_slot_id"]), due["offer_hold_id"], timing)
    return True


# The soonest seat kept back for its re-release delay that suits this entry: the hold row is taken with SKIP
# LOCKED (two newcomers never take one seat; nothing else locks a live re-release hold).
_KEPT_BACK = text(f"""
    SELECT h.id, h.slot_id FROM slot_holds h
    JOIN slots sl ON sl.id = h.slot_id
    JOIN offices o ON o.id = sl.office_id
    JOIN waitlist_entries w ON w.id = :entry_id
    WHERE h.rerelease AND h.expires_at > now() AND sl.service_id = w.service_id AND {slot_suits("w")}
      AND sl.starts_at > now()
    ORDER BY sl.starts_at, h.id
    LIMIT 1
    FOR UPDATE OF h SKIP LOCKED
""")


async def offer_kept_back(conn: AsyncConnection, entry_id: int, timing: OfferTiming) -> int | None:
    """Someone joins the waitlist while a seat that suits them is kept back for its re-release delay: it is
    theirs to accept, not everyone's once the delay ends (whoever waits is offered a seat first). The slot the
    seat was offered on, or None."""
    kept = (await conn.execute(_KEPT_BACK, {"entry_id": entry_id})).mappings().first()
    if kept is None:
        return None
    slot_id = int(kept["slot_id"])
    await seats.lock_slot(conn, slot_id)
    await conn.execute(_DROP_HOLD, {"hold_id": kept["id"]})
    return slot_id if await pass_on(conn, slot_id, timing) is not None else None
