"""Booking and rescheduling: never twice, within each citizen's limit, replayable with an idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, LimitExceededError, NotFoundError, ValidationFailed
from core.inputs import Doc, Id, Mark
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.validation import optional_text, parse_id
from models.accounts import Role
from models.booking import ACTIVE_STATUSES, OPEN_STATUSES, BookingStatus, Channel
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import SlotRecord
from resolvers.booking import confirmation, history, identity, lookup, party, seats
from resolvers.booking.access import RESERVED_CHANNELS, booking_channel, may_use_reserved
from resolvers.booking.challenge import Gate
from resolvers.booking.citizen import Citizen, CitizenInput, citizen, columns
from resolvers.booking.codes import hold_token_hash, new_code
from resolvers.booking.records import BOOKING_COLUMNS, BookingRecord, ConfirmationRecord
from resolvers.outbox.enqueue import enqueue
from resolvers.waitlist.offers import OfferTiming, pass_on

CODE_ATTEMPTS = 10
DEFAULT_CONFIRM_MINUTES = 30
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class BookInput:
    slot_id: Id
    citizen: CitizenInput
    channel: Annotated[Channel, Mark.NULL_MEANS_DEFAULT] = Channel.WEB
    notes: str | None = None
    idempotency_key: str | None = None
    # checked by the Gate that the caller builds from it and passes to `book`, before any seat is taken
    challenge: Annotated[
        str | None,
        Doc(
            "A solved challenge (the base64 ALTCHA payload) where the procedure's challengePolicy asks for one: from "
            "bookingChallenge or a ChallengeRequired answer."
        ),
    ] = None
    hold_token: Annotated[str | None, Doc("The token of a live hold on this slot (holdSlot): books the held seat.")] = (
        None
    )
    # one seat each (resolvers/booking/party.py)
    companions: Annotated[
        list[CitizenInput] | None,
        Doc(
            "People booked together with the citizen (a family), up to the service's maxPartySize - 1: one code, a "
            "seat each of the same slot, all or none; each counts in the per-citizen limits. With a holdToken, as "
            "many people as the hold keeps seats."
        ),
    ] = None


async def _slot(conn: AsyncConnection, slot_id: str) -> SlotRecord:
    number = parse_id(slot_id)
    found = await seats.slot(conn, number) if number is not None else None
    if found is None:
        raise NotFoundError("No slot has this ID.")
    return found


# A booking counts against a person when any of the three keys matches, the holder's or a companion's: a new
# document number does not make a new person when the e-mail or phone is one already booked with. Two branches
# (not one OR over a subquery) so each reads its own indexes: the holders' three, the companions' three.
_LIMIT = text(f"""
    SELECT s.max_active_bookings_per_citizen AS allowed, s.confirmation_required,
           (SELECT count(*) FROM (
                SELECT b.id FROM bookings b
                WHERE b.service_id = s.id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
                  AND (b.document_hash = :document_hash OR b.email_hash = :email_hash OR b.phone_hash = :phone_hash)
                UNION
                SELECT b.id FROM booking_companions c JOIN bookings b ON b.id = c.booking_id
                WHERE b.service_id = s.id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
                  AND (c.document_hash = :document_hash OR c.email_hash = :email_hash OR c.phone_hash = :phone_hash)
            ) AS theirs) AS active
    FROM services s WHERE s.id = :service_id
""")


async def within_limit(
    conn: AsyncConnection, person: Citizen, service_id: int, companions: Sequence[Citizen] = ()
) -> bool:
    """Refuses a party with anyone over the service's limit; answers whether the service asks for confirmation."""
    people = (person, *companions)
    # one booking at a time per person: two requests sharing any key of anyone cannot both pass the count, and
    # every party takes its people's locks in one ascending order, so two overlapping parties cannot deadlock
    keys = identity.lock_keys(*(h for p in people for h in (p.document_hash, p.email_hash, p.phone_hash)))
    for key in keys:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    confirmation_required = False
    for index, someone in enumerate(people):
        params = {
            "document_hash": someone.document_hash,
            "email_hash": someone.email_hash,
            "phone_hash": someone.phone_hash,
            "service_id": service_id,
        }
        row = (await conn.execute(_LIMIT, params)).mappings().one()
        if row["active"] >= row["allowed"]:
            who = "This person" if index == 0 else f"Companion {index} ({someone.name})"
            raise LimitExceededError(
                f"{who} already holds {row['active']} booking(s) for this procedure, the most allowed."
            )
        confirmation_required = bool(row["confirmation_required"])
    return confirmation_required


# The booking, its first history event and its mail in the outbox, in one round trip. A PENDING booking's
# mail asks for the confirmation, by the deadline (never later than the appointment itself).
_INSERT = text(f"""
    WITH booking AS (
        INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel, citizen_name,
            citizen_email, citizen_phone, citizen_locale, document_hash, document_hint, email_hash, phone_hash, notes,
            manage_nonce, manage_token_hash, staff_user_id, partner_id, confirm_by, party_size)
        VALUES (:code, CAST(:status AS booking_status), :slot_id, :office_id, :service_id, :starts_at, :ends_at,
            CAST(:channel AS channel), :name, :email, :phone, :locale, :document_hash, :document_hint, :email_hash,
            :phone_hash, :notes, :nonce, :token_hash, :staff_user_id, :partner_id,
            CASE WHEN :status = 'PENDING' THEN least(now() + make_interval(mins => :confirm_minutes), :starts_at) END,
            :party_size)
        ON CONFLICT (code) WHERE status IN {OPEN_STATUSES} DO NOTHING
        RETURNING *
    ),
    event AS (
        INSERT INTO booking_events (booking_id, status, channel, actor, note)
        SELECT id, status, channel, :actor, notes FROM booking
    ),
    message AS (
        INSERT INTO outbox (kind, booking_id)
        SELECT CASE WHEN status = 'PENDING' THEN 'booking.confirmation_request' ELSE 'booking.confirmation' END, id
        FROM booking
    )
    SELECT {BOOKING_COLUMNS} FROM booking b JOIN offices o ON o.id = b.office_id
""")


async def insert_booking(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    slot: SlotRecord,
    person: Citizen,
    channel: Channel,
    notes: str | None,
    confirm_minutes: int | None = None,
    companions: Sequence[Citizen] = (),
    nonce: bytes | None = None,
) -> ConfirmationRecord:
    """confirm_minutes: the booking is PENDING for so long, awaiting confirmation; None: BOOKED at once.
    companions: the party's other people, whose seats the caller took with the holder's. nonce: the manage
    token's, where a token the person already holds is to manage the booking too (a draw entry's); else new."""
    nonce = nonce if nonce is not None else new_nonce()
    token = manage_token(secret_key, nonce)
    values = columns(person) | {
        "slot_id": slot.id,
        "office_id": slot.office_id,
        "service_id": slot.service_id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "channel": channel.value,
        "party_size": 1 + len(companions),
        "status": (BookingStatus.BOOKED if confirm_minutes is None else BookingStatus.PENDING).value,
        "confirm_minutes": confirm_minutes or 0,
        "notes": notes,
        "nonce": nonce,
        "token_hash": manage_token_hash(secret_key, token),
        "staff_user_id": viewer.staff_user_id,
        "partner_id": viewer.partner_id,
        "actor": viewer.caller,
    }
    for _ in range(CODE_ATTEMPTS):
        row = (await conn.execute(_INSERT, values | {"code": new_code()})).mappings().first()
        if row is not None:
            made = BookingRecord.from_row(row)
            await party.insert_companions(conn, made.id, companions)
            return ConfirmationRecord(booking=made, manage_token=token)
    raise RuntimeError("could not find a free booking code")  # 31^8 codes: practically unreachable


async def _replayed(conn: AsyncConnection, secret_key: bytes, stored: dict[str, object]) -> ConfirmationRecord:
    booking = await lookup.by_id(conn, int(str(stored["booking_id"])))
    return ConfirmationRecord(booking=booking, manage_token=manage_token(secret_key, booking.manage_nonce))


async def _not_begun(conn: AsyncConnection, booking: BookingRecord) -> None:
    now = (await conn.execute(text("SELECT now()"))).scalar_one()
    if booking.starts_at <= now:
        raise InvalidStateError("This appointment has already begun or passed.")


def _asks_confirmation(viewer: Viewer, confirmation_required: bool, person: Citizen) -> bool:
    """Only citizens' own bookings wait for confirmation: staff at the desk or on the phone line have the
    person before them, and a partner answers for the people it books for."""
    if not confirmation_required or viewer.is_staff or viewer.partner_id is not None:
        return False
    if person.email is None:
        raise ValidationFailed("citizen.email", "This procedure sends a link to confirm the booking: give an e-mail.")
    return True


async def book(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    data: BookInput,
    gate: Gate | None = None,
    *,
    timing: OfferTiming,
    confirm_minutes: int = DEFAULT_CONFIRM_MINUTES,
) -> ConfirmationRecord:
    person = citizen(secret_key, data.citizen)
    companions = party.companions(secret_key, person, data.companions)
    size = 1 + len(companions)
    notes = optional_text("notes", data.notes, max_length=1000)
    slot = await _slot(conn, data.slot_id)
    await party.within_party_size(conn, slot.service_id, size)
    channel = booking_channel(viewer, data.channel, slot.office_id)
    key = data.idempotency_key
    scope = idempotency.document_scope(viewer, secret_key, person.document_hash)
    if key is not None:
        # every detail the citizen gave is in the fingerprint: a replay only answers a caller who sent
        # the whole request again, so it hands back nothing that caller did not already know
        fingerprint = idempotency.request_hash(
            "book",
            slot=slot.id,
            person=person.document_hash.hex(),
            name=person.name,
            email=person.email,
            phone=person.phone,
            locale=person.locale,
            channel=channel.value,
            notes=notes,
            # only a party's: a booking of one keeps the fingerprint it had before parties
            **({"companions": [(c.document_hash.hex(), c.name) for c in companions]} if companions else {}),
        )
        stored = await idempotency.claim(conn, scope, key, "book", fingerprint)
        if stored is not None:
            return await _replayed(conn, secret_key, stored)
    if gate is not None and data.hold_token is None:
        # after a replay's answer (it takes no seat: a retry needs no new challenge), before any seat is taken;
        # a held seat was taken by holdSlot, which asked for the challenge then
        await gate(conn, slot.service_id)
    confirmation_required = await within_limit(conn, person, slot.service_id, companions)
    pending = _asks_confirmation(viewer, confirmation_required, person)
    if confirmation_required:
        # a seat whose PENDING booking has lapsed is freed now, not at the sweep's next run: offered to the
        # waitlist first, as the sweep would (then this booking finds it held, as anyone would)
        for freed in await confirmation.expire_lapsed(conn, slot_id=slot.id):
            await pass_on(conn, freed, timing)
    if data.hold_token is not None:
        taken = await seats.take_held_seat(conn, slot, hold_token_hash(secret_key, data.hold_token), size)
    else:
        taken = await seats.take_seat(conn, slot, with_reserved=channel in RESERVED_CHANNELS, seats=size)
    made = await insert_booking(
        conn, viewer, secret_key, taken, person, channel, notes, confirm_minutes if pending else None, companions
    )
    if key is not None:
        await idempotency.remember(conn, scope, key, {"booking_id": made.booking.id})
    return made


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
    seat goes to the waitlist first (resolvers/waitlist/offers.py).

    The caller proves its right to the booking first (for_change, which also locks it: a concurrent
    request with the same key waits there); only then may a stored result be replayed.
    """
    booking = await lookup.for_change(conn, viewer, secret_key, code, token)
    scope = idempotency.booking_scope(viewer, booking.id)
    if idempotency_key is not None:
        fingerprint = idempotency.request_hash("reschedule", booking=booking.id, slot=slot_id.strip())
        stored = await idempotency.claim(conn, scope, idempotency_key, "reschedule", fingerprint)
        if stored is not None:
            return await _replayed(conn, secret_key, stored)
    if booking.status is BookingStatus.PENDING:
        raise InvalidStateError(
            "Confirm this booking from the link mailed to you before moving it.", reason=InvalidStateReason.PENDING
        )
    if booking.status is not BookingStatus.BOOKED:
        raise InvalidStateError(f"A {booking.status.value.lower().replace('_', ' ')} booking cannot be moved.")
    await _not_begun(conn, booking)
    target = await _slot(conn, slot_id)
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
    await conn.execute(
        # a new time earns a new reminder
        text("""UPDATE bookings SET slot_id = :slot_id, office_id = :office_id, starts_at = :starts_at,
                       ends_at = :ends_at, reminder_queued_at = NULL WHERE id = :id"""),
        {
            "slot_id": taken.id,
            "office_id": taken.office_id,
            "starts_at": taken.starts_at,
            "ends_at": taken.ends_at,
            "id": booking.id,
        },
    )
    note = f"moved from {booking.starts_at.isoformat()} (office {booking.office_id}) to {taken.starts_at.isoformat()}"
    await history.record_event(conn, booking.id, BookingStatus.BOOKED, _actor_channel(viewer), viewer.caller, note)
    await enqueue(conn, "booking.change", booking.id, {"previous_starts_at": booking.starts_at.isoformat()})
    if idempotency_key is not None:
        await idempotency.remember(conn, scope, idempotency_key, {"booking_id": booking.id})
    return ConfirmationRecord(
        booking=await lookup.by_id(conn, booking.id), manage_token=manage_token(secret_key, booking.manage_nonce)
    )


def _actor_channel(viewer: Viewer) -> Channel | None:
    """The channel a change by this caller came through (citizens' changes carry none: web or app alike)."""
    if viewer.partner_id is not None:
        return Channel.PARTNER
    if viewer.is_staff:
        return Channel.PHONE if any(g.role is Role.OPERATOR for g in viewer.grants) else Channel.DESK
    return None


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
        raise InvalidStateError(f"A {booking.status.value.lower().replace('_', ' ')} booking cannot be cancelled.")
    await _not_begun(conn, booking)
    await conn.execute(text("UPDATE bookings SET status = 'CANCELLED' WHERE id = :id"), {"id": booking.id})
    await party.free_seats(conn, booking.slot_id, booking.party_size, timing)
    await history.record_event(conn, booking.id, BookingStatus.CANCELLED, _actor_channel(viewer), viewer.caller, reason)
    await enqueue(conn, "booking.cancellation", booking.id, {"reason": reason})
    return await lookup.by_id(conn, booking.id)
