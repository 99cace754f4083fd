"""Booking: never twice, within each citizen's limit, replayable with an idempotency key (moving a booking:
reschedule.py; letting it go: cancel.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import availability_versions
from core.errors import LimitExceededError, ValidationFailed
from core.inputs import Doc, Id, Mark
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.messages import msg
from core.validation import optional_text
from models.booking import BookingStatus, Channel
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import SlotRecord
from resolvers.booking import confirmation, identity, lookup, one_call, party, seats
from resolvers.booking.access import RESERVED_CHANNELS, booking_channel
from resolvers.booking.challenge import Gate
from resolvers.booking.citizen import Citizen, CitizenInput, citizen, columns
from resolvers.booking.codes import hold_token_hash, new_code, new_codes
from resolvers.booking.fragments import THEIRS, booking_ctes
from resolvers.booking.freed_seats import OfferTiming, pass_on
from resolvers.booking.records import BookingRecord, ConfirmationRecord
from resolvers.rows import record_from_row

CODE_ATTEMPTS = 10
DEFAULT_CONFIRM_MINUTES = 30


class NeedsTransaction(Exception):
    """`book` outside a transaction found a path that needs one (a service that asks for confirmation); nothing
    was written. `gate_passed`: the challenge gate let this request through already (its pass is spent), so the
    run in a transaction must not ask it again."""

    def __init__(self, *, gate_passed: bool) -> None:
        super().__init__("this booking needs a transaction")
        self.gate_passed = gate_passed


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
    hold_token: Annotated[
        str | None,
        Doc("The token of a live hold on this slot (holdSlot): books the held seat."),
    ] = None
    # one seat each (resolvers/booking/party.py)
    companions: Annotated[
        list[CitizenInput] | None,
        Doc(
            "People booked together with the citizen (a family), up to the service's maxPartySize - 1: one code, a "
            "seat each of the same slot, all or none; each counts in the per-citizen limits. With a holdToken, as "
            "many people as the hold keeps seats."
        ),
    ] = None


_LIMIT = text(f"""
    SELECT s.max_active_bookings_per_citizen AS allowed, s.confirmation_required, {THEIRS} AS active
    FROM services s WHERE s.id = :service_id
""")

# The same count for one person, in the statement that locks the slot's row: the count's snapshot is taken after
# the person's locks were ours (the statement before), so any booking of theirs that committed is in it.
_LIMIT_AND_LOCK = text(f"""
    SELECT s.max_active_bookings_per_citizen AS allowed, s.confirmation_required, {THEIRS} AS active,
           (SELECT sl.id FROM slots sl WHERE sl.id = :slot_id FOR UPDATE) AS locked
    FROM services s WHERE s.id = :service_id
""")


def alone(data: BookInput) -> bool:
    """One person, no hold, no idempotency key: the booking `book` may run outside a transaction."""
    return not data.companions and data.hold_token is None and data.idempotency_key is None


def _hashes(someone: Citizen) -> dict[str, bytes | None]:
    return {
        "document_hash": someone.document_hash,
        "email_hash": someone.email_hash,
        "phone_hash": someone.phone_hash,
    }


def _over_limit(index: int, someone: Citizen, held: int) -> LimitExceededError:
    return LimitExceededError(
        msg("This person already holds {count} booking(s) for this procedure, the most allowed.", count=held)
        if index == 0
        else msg(
            "Companion {index} ({name}) already holds {count} booking(s) for this procedure, the most allowed.",
            index=index,
            name=someone.name,
            count=held,
        )
    )


async def within_limit(
    conn: AsyncConnection, person: Citizen, service_id: int, companions: Sequence[Citizen] = ()
) -> bool:
    """Refuses a party with anyone over the service's limit; answers whether the service asks for confirmation."""
    people = (person, *companions)
    # one booking at a time per person: two requests sharing any key of anyone cannot both pass the count, and
    # every party takes its people's locks in one ascending order, so two overlapping parties cannot deadlock
    await identity.lock_people(conn, *(h for p in people for h in (p.document_hash, p.email_hash, p.phone_hash)))
    confirmation_required = False
    for index, someone in enumerate(people):
        row = (await conn.execute(_LIMIT, _hashes(someone) | {"service_id": service_id})).mappings().one()
        if row["active"] >= row["allowed"]:
            raise _over_limit(index, someone, row["active"])
        confirmation_required = bool(row["confirmation_required"])
    return confirmation_required


_INSERT = text(f"""
    WITH {
    booking_ctes(
        "(SELECT CAST(:slot_id AS bigint) AS id, CAST(:office_id AS bigint) AS office_id,"
        " CAST(:service_id AS bigint) AS service_id, CAST(:starts_at AS timestamptz) AS starts_at,"
        " CAST(:ends_at AS timestamptz) AS ends_at) AS seat"
    )
}
    SELECT b.*, o.timezone FROM booking b JOIN offices o ON o.id = b.office_id
""")

# One person's seat and booking in one statement, once the person's locks and the slot's row are ours (the
# statements before): the seat is taken under the same rule as seats.take_seat (a statement after the lock, so
# its snapshot has every seat taken before), and the booking written only where it was. `seated` false: the
# slot had no seat (seats.unavailable says why); a seat but no booking: the code was taken (insert again).
_TAKE_AND_INSERT = text(f"""
    WITH seat AS (
        UPDATE slots SET booked = booked + 1
        WHERE id = (SELECT sl.id {seats.LOCKED} AND sl.id = :slot_id)
        RETURNING id, office_id, service_id, starts_at, ends_at
    ),
    {booking_ctes("seat")}
    SELECT EXISTS (SELECT FROM seat) AS seated, b.*, o.timezone
    FROM (SELECT) AS one LEFT JOIN booking b ON true LEFT JOIN offices o ON o.id = b.office_id
""")


def _booking_values(
    viewer: Viewer,
    secret_key: bytes,
    person: Citizen,
    channel: Channel,
    notes: str | None,
    confirm_minutes: int | None,
    party_size: int,
    nonce: bytes,
    token: str,
) -> dict[str, object]:
    """The parameters of _booking_ctes but the seat's: what the citizen and the caller make of the booking."""
    return columns(person) | {
        "channel": channel.value,
        "party_size": party_size,
        "status": (BookingStatus.BOOKED if confirm_minutes is None else BookingStatus.PENDING).value,
        "confirm_minutes": confirm_minutes or 0,
        "name_hash": identity.name_hash(secret_key, person.name),
        "notes": notes,
        "nonce": nonce,
        "token_hash": manage_token_hash(secret_key, token),
        "staff_user_id": viewer.staff_user_id,
        "partner_id": viewer.partner_id,
        "actor": viewer.caller,
    }


async def _insert(
    conn: AsyncConnection, slot: SlotRecord, values: dict[str, object], token: str, companions: Sequence[Citizen] = ()
) -> ConfirmationRecord:
    seat = {
        "slot_id": slot.id,
        "office_id": slot.office_id,
        "service_id": slot.service_id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
    }
    for _ in range(CODE_ATTEMPTS):
        row = (await conn.execute(_INSERT, values | seat | {"code": new_code()})).mappings().first()
        if row is not None:
            made = record_from_row(BookingRecord, row)
            await party.insert_companions(conn, made.id, companions)
            return ConfirmationRecord(booking=made, manage_token=token)
    raise RuntimeError("could not find a free booking code")  # 31^8 codes: practically unreachable


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
    values = _booking_values(
        viewer, secret_key, person, channel, notes, confirm_minutes, 1 + len(companions), nonce, token
    )
    return await _insert(conn, slot, values, token, companions)


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
    in_transaction: bool = True,
) -> ConfirmationRecord:
    """`in_transaction` False: `conn` runs each statement on its own (autocommit), for a booking of one person
    without a key or a hold (`alone`), whose one-call path needs no transaction around it (book_one is one
    statement, so one transaction, of its own; what is read before it only names the slot and the gate's
    policy, and book_one checks everything again under its locks). Any other path raises
    NeedsTransaction before it writes anything, for the caller to run `book` again in a transaction."""
    person = citizen(secret_key, data.citizen)
    companions = party.companions(secret_key, person, data.companions)
    size = 1 + len(companions)
    notes = optional_text("notes", data.notes, max_length=1000)
    slot, policy, confirmation_required = await seats.find_slot_for_booking(conn, data.slot_id)
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
            return await lookup.with_token(conn, secret_key, int(str(stored["booking_id"])))
    one = not companions and data.hold_token is None
    if not in_transaction and (confirmation_required or not alone(data)):
        raise NeedsTransaction(gate_passed=False)
    if gate is not None and data.hold_token is None:
        # after a replay's answer (it takes no seat: a retry needs no new challenge), before any seat is taken;
        # a held seat was taken by holdSlot, which asked for the challenge then
        await gate(conn, slot.service_id, policy)
    if one and not confirmation_required:
        # one round trip, which also keeps the idempotency key's result; None: the service asks for
        # confirmation since its slot was read, so the path that handles it
        called = await _book_one_call(conn, slot, person, notes, viewer, secret_key, channel, (scope, key))
        if called is not None:
            return called
        if not in_transaction:
            raise NeedsTransaction(gate_passed=True)
    if one:
        made = await _book_one(
            conn,
            slot,
            person,
            notes,
            viewer=viewer,
            secret_key=secret_key,
            channel=channel,
            timing=timing,
            confirm_minutes=confirm_minutes,
        )
    else:
        made = await _book_party_or_hold(
            conn,
            viewer,
            secret_key,
            data,
            slot,
            person,
            companions,
            channel,
            notes,
            timing=timing,
            confirm_minutes=confirm_minutes,
        )
    if key is not None:
        await idempotency.remember(conn, scope, key, {"booking_id": made.booking.id})
    # the seat (a held one too) was this service's: its cached availability goes, not every service's
    availability_versions.changed(conn, [slot.service_id])
    return made


async def _book_one_call(
    conn: AsyncConnection,
    slot: SlotRecord,
    person: Citizen,
    notes: str | None,
    viewer: Viewer,
    secret_key: bytes,
    channel: Channel,
    idempotency_key: tuple[str, str | None],
) -> ConfirmationRecord | None:
    """One person on a free seat of a service that asks for no confirmation, in one round trip: the database
    function book_one (resolvers/booking/one_call.py says why its guarantees are _book_one's). None: the service
    asks for confirmation after all (changed since the slot was read)."""
    nonce = new_nonce()
    token = manage_token(secret_key, nonce)
    values = _booking_values(viewer, secret_key, person, channel, notes, None, 1, nonce, token)
    scope, key = idempotency_key
    params = values | {
        "slot_id": slot.id,
        "service_id": slot.service_id,
        "lock_keys": identity.lock_keys(person.document_hash, person.email_hash, person.phone_hash),
        "with_reserved": channel in RESERVED_CHANNELS,
        "seats": 1,
        "confirmation_required": False,
        "codes": new_codes(CODE_ATTEMPTS),
        "idempotency_caller": scope,
        "idempotency_key": key,
    }
    row = (await conn.execute(one_call.CALL, params)).mappings().one()
    outcome = row["outcome"]
    # book_one writes this slot's seat only, and only when it books: a refusal (most of a release burst's attempts)
    # leaves every cached availability answer standing, instead of moving this service's version or the epoch
    availability_versions.changed(conn, [slot.service_id] if outcome == "booked" else [])
    if outcome == "booked":
        return ConfirmationRecord(booking=record_from_row(BookingRecord, row), manage_token=token)
    if outcome == "limit":
        raise _over_limit(0, person, row["active"])
    if outcome == "unseated":
        raise await seats.unavailable(conn, slot, channel in RESERVED_CHANNELS)
    return None


async def _book_one(
    conn: AsyncConnection,
    slot: SlotRecord,
    person: Citizen,
    notes: str | None,
    *,
    viewer: Viewer,
    secret_key: bytes,
    channel: Channel,
    timing: OfferTiming,
    confirm_minutes: int,
) -> ConfirmationRecord:
    """One person on a free seat of a procedure that asks for confirmation (others: _book_one_call), in a
    transaction: the person's locks; the slot's lock with the person's limit; lapsed PENDING bookings of the slot
    expired (their seats offered to the waitlist first); the seat with the booking (_TAKE_AND_INSERT). The
    guarantees are within_limit's and take_seat's: each count is read by a statement that starts once the locks
    it relies on are ours."""
    await identity.lock_people(conn, person.document_hash, person.email_hash, person.phone_hash)
    params = _hashes(person) | {"service_id": slot.service_id, "slot_id": slot.id}
    row = (await conn.execute(_LIMIT_AND_LOCK, params)).mappings().one()
    if row["active"] >= row["allowed"]:
        raise _over_limit(0, person, row["active"])
    pending = _asks_confirmation(viewer, bool(row["confirmation_required"]), person)
    if row["confirmation_required"]:
        # a seat whose PENDING booking has lapsed is freed now, offered to the waitlist first (see _book_party_or_hold)
        for freed in await confirmation.expire_lapsed(conn, slot_id=slot.id):
            await pass_on(conn, freed, timing)
    nonce = new_nonce()
    token = manage_token(secret_key, nonce)
    values = _booking_values(
        viewer, secret_key, person, channel, notes, confirm_minutes if pending else None, 1, nonce, token
    )
    with_reserved = channel in RESERVED_CHANNELS
    taking = values | {"slot_id": slot.id, "service_id": slot.service_id, "with_reserved": with_reserved, "seats": 1}
    made = (await conn.execute(_TAKE_AND_INSERT, taking | {"code": new_code()})).mappings().one()
    if not made["seated"]:
        raise await seats.unavailable(conn, slot, with_reserved)
    if made["id"] is None:  # the seat is ours but the code was someone's: a booking on it with another code
        return await _insert(conn, slot, values, token)
    return ConfirmationRecord(booking=record_from_row(BookingRecord, made), manage_token=token)


async def _book_party_or_hold(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    data: BookInput,
    slot: SlotRecord,
    person: Citizen,
    companions: Sequence[Citizen],
    channel: Channel,
    notes: str | None,
    *,
    timing: OfferTiming,
    confirm_minutes: int,
) -> ConfirmationRecord:
    """A party (everyone's limit, as many seats) or a held seat (the hold's token)."""
    size = 1 + len(companions)
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
    return await insert_booking(
        conn, viewer, secret_key, taken, person, channel, notes, confirm_minutes if pending else None, companions
    )
