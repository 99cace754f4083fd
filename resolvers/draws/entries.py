"""Entering a draw, reading an entry, withdrawing it.

An entry names the procedure, the person and the seats that suit them (resolvers/availability/preferences.py).
It is taken only while the procedure's draw is open. One per person and draw, whichever of document, e-mail or
phone is shared (the unique indexes refuse the second); and at most TURNERO_DRAW_ENTRIES_PER_ADDRESS per client
address, so that invented identities do not make a bot many people. The manage token is returned once, by
`enterDraw`; the waitlist entry a losing entry becomes answers to the same token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, LimitExceededError, NotFoundError, ValidationFailed
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.validation import parse_id
from models.catalogue import ReleasePolicy
from models.draws import DrawEntryStatus
from resolvers.availability import preferences
from resolvers.availability.preferences import EntryRequest
from resolvers.booking import identity
from resolvers.booking.book import within_limit
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.citizen import citizen, columns
from resolvers.draws.windows import next_release


@dataclass(frozen=True, slots=True)
class DrawEntryRecord:
    id: int
    draw_id: int
    service_id: int
    status: DrawEntryStatus
    from_date: date
    to_date: date
    draw_closes_at: datetime
    slot_id: int | None  # WON: the seat drawn
    booking_code: str | None
    waitlist_entry_id: int | None
    manage_token: str | None = None  # only in enterDraw's answer

    @classmethod
    def from_row(cls, row: RowMapping, token: str | None = None) -> DrawEntryRecord:
        return cls(
            id=row["id"],
            draw_id=row["draw_id"],
            service_id=row["service_id"],
            status=DrawEntryStatus(row["status"]),
            from_date=row["from_date"],
            to_date=row["to_date"],
            draw_closes_at=row["closes_at"],
            slot_id=row["slot_id"],
            booking_code=row["booking_code"],
            waitlist_entry_id=row["waitlist_entry_id"],
            manage_token=token,
        )


_COLUMNS = """e.id, e.draw_id, d.service_id, e.status::text AS status, e.from_date, e.to_date, d.closes_at,
    e.slot_id, b.code AS booking_code, e.waitlist_entry_id
    FROM draw_entries e JOIN draws d ON d.id = e.draw_id LEFT JOIN bookings b ON b.id = e.booking_id"""
_BY_ID = text(f"SELECT {_COLUMNS} WHERE e.id = :id")
_BY_TOKEN = text(f"SELECT {_COLUMNS} WHERE e.id = :id AND e.manage_token_hash = :token_hash")

_SERVICE = text("""SELECT release_policy::text AS policy, booking_window_days, confirmation_required, now() AS now
    FROM services WHERE id = :id""")
# the open draw, shared-locked so that it is not drawn while this entry goes in (the draw job locks it FOR UPDATE)
_OPEN_DRAW = text("""
    SELECT id FROM draws WHERE service_id = :service_id AND status = 'OPEN' AND closes_at > now() FOR SHARE
""")
_FROM_ADDRESS = text("""
    SELECT count(*) FROM draw_entries WHERE draw_id = :draw_id AND address_hash = :address_hash
        AND status <> 'WITHDRAWN'
""")
# any unique index (document, e-mail, phone within the draw) refuses a second entry of the same person
_INSERT = text("""
    INSERT INTO draw_entries (draw_id, office_ids, from_date, to_date, weekdays, earliest, latest, citizen_name,
        citizen_email, citizen_phone, citizen_locale, document_hash, document_hint, email_hash, phone_hash,
        address_hash, manage_nonce, manage_token_hash)
    VALUES (:draw_id, :office_ids, :from_date, :to_date, :weekdays, :earliest, :latest, :name, :email, :phone,
        :locale, :document_hash, :document_hint, :email_hash, :phone_hash, :address_hash, :nonce, :token_hash)
    ON CONFLICT DO NOTHING
    RETURNING id
""")


def address_hash(secret_key: bytes, address: str) -> bytes:
    return identity.keyed_hash(secret_key, "draw-address", address)


@dataclass(frozen=True, slots=True)
class AddressCap:
    """The caller's client address as a keyed hash, None when not counted by address (staff, partners), and how
    many entries one address may make to a draw."""

    address_hash: bytes | None
    per_address: int


async def _open_draw(conn: AsyncConnection, service_id: int, policy: ReleasePolicy, now: datetime) -> int:
    draw_id = (await conn.execute(_OPEN_DRAW, {"service_id": service_id})).scalar()
    if draw_id is not None:
        return int(draw_id)
    if policy is not ReleasePolicy.DRAW:
        raise InvalidStateError(
            "This procedure's seats are not drawn: book a free one.", reason=InvalidStateReason.NOT_DRAWN, at=None
        )
    opens = next_release(now)
    raise InvalidStateError(
        f"No draw is open for this procedure: the next opens at the release of {opens.isoformat()}.",
        reason=InvalidStateReason.DRAW_CLOSED,
        at=opens,
    )


async def enter(
    conn: AsyncConnection,
    secret_key: bytes,
    request: EntryRequest,
    cap: AddressCap,
    gate: ChallengeGate | None = None,
) -> DrawEntryRecord:
    person = citizen(secret_key, request.citizen)
    service_id = parse_id(request.service_id)
    service = (await conn.execute(_SERVICE, {"id": service_id})).mappings().first() if service_id else None
    if service_id is None or service is None:
        raise NotFoundError("No procedure has this ID.")
    wishes = await preferences.wanted(conn, request, service_id, int(service["booking_window_days"]))
    if service["confirmation_required"] and person.email is None and cap.address_hash is not None:
        raise ValidationFailed(
            "input.citizen.email", "This procedure sends a link to confirm the seat won: give an e-mail."
        )
    draw_id = await _open_draw(conn, service_id, ReleasePolicy(service["policy"]), service["now"])
    if gate is not None:
        await gate(conn, service_id)
    await within_limit(conn, person, service_id)  # someone who may book no more need not take part
    if cap.address_hash is not None:
        # entries from one address, one at a time: two at once cannot both pass the count
        for key in identity.lock_keys(cap.address_hash):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        values = {"draw_id": draw_id, "address_hash": cap.address_hash}
        if (await conn.execute(_FROM_ADDRESS, values)).scalar_one() >= cap.per_address:
            raise LimitExceededError(f"At most {cap.per_address} entries to a draw come from one address.")
    nonce = new_nonce()
    token = manage_token(secret_key, nonce)
    values = wishes | {
        "draw_id": draw_id,
        **columns(person),
        "address_hash": cap.address_hash,
        "nonce": nonce,
        "token_hash": manage_token_hash(secret_key, token),
    }
    inserted = (await conn.execute(_INSERT, values)).scalar()
    if inserted is None:
        raise LimitExceededError("This person (document, e-mail or phone) has already entered this draw.")
    return await read(conn, int(inserted), token)


async def read(conn: AsyncConnection, entry_id: int, token: str | None = None) -> DrawEntryRecord:
    return DrawEntryRecord.from_row((await conn.execute(_BY_ID, {"id": entry_id})).mappings().one(), token)


async def by_token(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> DrawEntryRecord | None:
    number = parse_id(entry_id)
    if number is None:
        return None
    values = {"id": number, "token_hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_BY_TOKEN, values)).mappings().first()
    return DrawEntryRecord.from_row(row) if row is not None else None


# only while its draw is open and not being drawn (the draw job holds the draw's row FOR UPDATE: this waits)
_WITHDRAW = text("""
    UPDATE draw_entries e SET status = 'WITHDRAWN'
    FROM draws d
    WHERE e.id = :id AND e.manage_token_hash = :token_hash AND e.status = 'ENTERED'
      AND d.id = e.draw_id AND d.status = 'OPEN' AND d.closes_at > now()
    RETURNING e.id
""")


async def withdraw(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> DrawEntryRecord:
    found = await by_token(conn, secret_key, entry_id, token)
    if found is None:
        raise NotFoundError("No draw entry has this ID and manage token.")
    values = {"id": found.id, "token_hash": manage_token_hash(secret_key, token)}
    if (await conn.execute(_WITHDRAW, values)).first() is None:
        raise InvalidStateError(f"This entry is {found.status.lower()} and its draw closed: nothing to withdraw.")
    return await read(conn, found.id)
