"""Running a draw at its window's close: one transaction per draw.

The draw's row is taken FOR UPDATE SKIP LOCKED, so two workers never draw it twice (and an entry or withdrawal
racing the close waits for the draw, then finds it DRAWN). A seed from `secrets` is stored on the draw and
logged; the free seats are stored with it, so that resolvers/draws/replay.py gives the same answer later. The
assignment is resolvers/draws/assignment.py's. Then, in the draw's order: a winner is booked through the normal
booking insert (the booking's confirmation mail goes through the outbox as any other), a loser joins the
waitlist with the same preferences, and each gets a result mail. Clearing the slots' draw_id makes the seats
left sellable first come, at commit, together with everything else.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.agenda import slots
from models.booking import ACTIVE_STATUSES, Channel, outbox
from models.catalogue import services
from models.draws import DrawEntryStatus, DrawStatus, draw_entries, draws
from models.waitlist import WaitlistStatus, waitlist_entries
from resolvers.accounts.viewer import ANONYMOUS
from resolvers.agenda.records import RESERVED_SEATS, held_seats
from resolvers.availability.preferences import Preferences
from resolvers.booking import seats as seat_store
from resolvers.booking.book import insert_booking
from resolvers.booking.citizen import Citizen
from resolvers.draws.assignment import Entrant, Seat, assign
from resolvers.rows import record_from_row

logger = logging.getLogger("turnero.draws")

_DUE = (
    select(draws.c.id, draws.c.service_id, services.c.confirmation_required)
    .select_from(draws.join(services, services.c.id == draws.c.service_id))
    .where(draws.c.status == DrawStatus.OPEN, draws.c.closes_at <= func.now())
    .order_by(draws.c.closes_at, draws.c.id)
    .limit(1)
    .with_for_update(of=draws, skip_locked=True)
)

# every slot of the draw still ahead and open, locked: the seats anyone (web) could take, as availability counts
# them (live holds and the seats still kept for the phone line and the desk are not drawn)
# Native SQL: held and reserved seats are SQL rules of their own (resolvers/agenda/records.py)
_SEATS = text(f"""
    SELECT sl.id, sl.office_id, sl.starts_at, sl.starts_at AT TIME ZONE o.timezone AS local_start,
           greatest(sl.capacity - sl.booked - {held_seats()} - {RESERVED_SEATS}, 0) AS seats
    FROM slots sl JOIN offices o ON o.id = sl.office_id
    WHERE sl.draw_id = :draw_id AND NOT sl.closed AND sl.starts_at > now()
    ORDER BY sl.id
    FOR UPDATE OF sl
""")

# the entries still in, and whether each person may still book (the procedure's limit, any of their keys, as the
# holder of a booking or a companion in one: resolvers/booking/book.py _LIMIT)
# Native SQL: the per-citizen count of book.py's _LIMIT, two index-shaped branches, for every entry at once
_ENTRIES = text(f"""
    SELECT e.*, (
        SELECT count(*) FROM (
            SELECT b.id FROM bookings b
            WHERE b.service_id = d.service_id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
              AND (b.document_hash = e.document_hash OR b.email_hash = e.email_hash OR b.phone_hash = e.phone_hash)
            UNION
            SELECT b.id FROM booking_companions c JOIN bookings b ON b.id = c.booking_id
            WHERE b.service_id = d.service_id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
              AND (c.document_hash = e.document_hash OR c.email_hash = e.email_hash OR c.phone_hash = e.phone_hash)
        ) AS theirs
    ) < s.max_active_bookings_per_citizen AS eligible
    FROM draw_entries e JOIN draws d ON d.id = e.draw_id JOIN services s ON s.id = d.service_id
    WHERE e.draw_id = :draw_id AND e.status = 'ENTERED'
    ORDER BY e.id
    FOR UPDATE OF e
""")

_DRAWN = (
    update(draws)
    .where(draws.c.id == bindparam("draw_id"))
    .values(status=DrawStatus.DRAWN, seed=bindparam("drawn_seed"), seats=bindparam("drawn_seats"), drawn_at=func.now())
)
_SELLABLE = update(slots).where(slots.c.draw_id == bindparam("drawn_id")).values(draw_id=None)

e = draw_entries
_ENTRY = e.c.id == bindparam("entry_id")
_WON = (
    update(e)
    .where(_ENTRY)
    .values(status=DrawEntryStatus.WON, slot_id=bindparam("won_slot_id"), booking_id=bindparam("won_booking_id"))
)
_INELIGIBLE = update(e).where(_ENTRY).values(status=DrawEntryStatus.INELIGIBLE)
_WAITLISTED = (
    update(e).where(_ENTRY).values(status=DrawEntryStatus.WAITLISTED, waitlist_entry_id=bindparam("waitlisted_as"))
)
_RESULT_MAIL = insert(outbox).values(kind="draw.result", payload=bindparam("result_payload"))

# a loser's place on the waitlist, behind those already there, with the entry's preferences and manage nonce (so
# the draw entry's token manages it); someone already waiting keeps the place they have
_CARRIED = (
    "office_ids",
    "from_date",
    "to_date",
    "weekdays",
    "earliest",
    "latest",
    "citizen_name",
    "citizen_email",
    "citizen_phone",
    "citizen_locale",
    "document_hash",
    "document_hint",
    "email_hash",
    "phone_hash",
    "manage_nonce",
    "manage_token_hash",
)
_JOIN_WAITLIST = (
    insert(waitlist_entries)
    .from_select(
        ["service_id", *_CARRIED],
        select(
            bindparam("service_id", type_=waitlist_entries.c.service_id.type), *(e.c[name] for name in _CARRIED)
        ).where(_ENTRY),
    )
    .on_conflict_do_nothing()
    .returning(waitlist_entries.c.id)
)
w = waitlist_entries
_WAITING = (
    select(w.c.id)
    .where(
        w.c.service_id == bindparam("service_id"),
        w.c.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        or_(
            w.c.document_hash == bindparam("document_hash"),
            w.c.email_hash == bindparam("email_hash"),
            w.c.phone_hash == bindparam("phone_hash"),
        ),
    )
    .order_by(w.c.id)
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class DrawReport:
    draw_id: int
    seed: bytes
    entries: int
    seats: int
    won: int
    waitlisted: int


def _entrant(row: Any) -> Entrant:
    return Entrant(entry_id=row["id"], preferences=record_from_row(Preferences, row), eligible=bool(row["eligible"]))


def _person(row: Any) -> Citizen:
    return Citizen(
        name=row["citizen_name"],
        email=row["citizen_email"],
        phone=row["citizen_phone"],
        locale=row["citizen_locale"],
        document_hash=bytes(row["document_hash"]),
        document_hint=row["document_hint"],
        email_hash=bytes(row["email_hash"]) if row["email_hash"] is not None else None,
        phone_hash=bytes(row["phone_hash"]) if row["phone_hash"] is not None else None,
    )


async def run_due(conn: AsyncConnection, secret_key: bytes, confirm_minutes: int) -> DrawReport | None:
    """Draws the oldest due draw nobody else is drawing; None when none is due. Where the procedure asks for
    confirmation, a won seat is PENDING for `confirm_minutes` as any citizen's booking (an invented e-mail
    confirms nothing: the seat then goes to the waitlist, resolvers/booking/confirmation.py)."""
    due = (await conn.execute(_DUE)).mappings().first()
    if due is None:
        return None
    draw_id, service_id = int(due["id"]), int(due["service_id"])
    pending = confirm_minutes if due["confirmation_required"] else None
    seats = [
        Seat(row["id"], row["office_id"], row["starts_at"], row["local_start"], int(row["seats"]))
        for row in (await conn.execute(_SEATS, {"draw_id": draw_id})).mappings()
    ]
    rows = {row["id"]: row for row in (await conn.execute(_ENTRIES, {"draw_id": draw_id})).mappings()}
    seed = secrets.token_bytes(32)
    # the audit trail: with the stored seats and the entries this seed replays the draw (no personal data here)
    logger.info(
        "draw %d of service %d: seed %s, %d entries, %d seats",
        draw_id,
        service_id,
        seed.hex(),
        len(rows),
        sum(seat.seats for seat in seats),
    )
    assignment = assign(seed, [_entrant(row) for row in rows.values()], seats)
    values = {"draw_id": draw_id, "drawn_seed": seed, "drawn_seats": [seat.as_json() for seat in seats]}
    await conn.execute(_DRAWN, values)
    await conn.execute(_SELLABLE, {"drawn_id": draw_id})
    won = waitlisted = 0
    for entry_id, slot_id in assignment:
        row = rows[entry_id]
        if slot_id is not None:
            await _book(conn, secret_key, row, slot_id, pending)
            won += 1
        elif not row["eligible"]:
            await conn.execute(_INELIGIBLE, {"entry_id": entry_id})
        else:
            await _waitlist(conn, service_id, row)
            waitlisted += 1
        await conn.execute(_RESULT_MAIL, {"result_payload": {"draw_entry_id": entry_id}})
    return DrawReport(draw_id, seed, len(rows), sum(seat.seats for seat in seats), won, waitlisted)


async def _book(conn: AsyncConnection, secret_key: bytes, row: Any, slot_id: int, pending: int | None) -> None:
    """The seat as a web booking of the person's own: the seats kept for the phone line are not drawn."""
    found = await seat_store.slot(conn, slot_id)
    assert found is not None, "a drawn slot exists (its row is locked)"
    taken = await seat_store.take_seat(conn, found, with_reserved=False)
    person = _person(row)
    confirm = pending if person.email is not None else None  # staff may have entered a caller without one
    # the entry's manage token manages the booking too: the /draw page links to it with the token it has
    nonce = bytes(row["manage_nonce"])
    made = await insert_booking(conn, ANONYMOUS, secret_key, taken, person, Channel.WEB, None, confirm, nonce=nonce)
    await conn.execute(_WON, {"entry_id": row["id"], "won_slot_id": slot_id, "won_booking_id": made.booking.id})


async def _waitlist(conn: AsyncConnection, service_id: int, row: Any) -> None:
    joined = (await conn.execute(_JOIN_WAITLIST, {"entry_id": row["id"], "service_id": service_id})).scalar()
    if joined is None:
        values = {key: row[key] for key in ("document_hash", "email_hash", "phone_hash")} | {"service_id": service_id}
        joined = (await conn.execute(_WAITING, values)).scalar()
    await conn.execute(_WAITLISTED, {"entry_id": row["id"], "waitlisted_as": joined})
