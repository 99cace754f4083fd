"""Joining, reading and leaving the waitlist of a procedure.

An entry names the procedure, the offices the person can go to (none: any that offers it) and the days they
can come; it keeps its place by id. The person is identified as on bookings (document, e-mail and phone as keyed
hashes), and holds one live entry per procedure, whichever of the three is shared. Its manage token, like a
booking's, is derived from a nonce with the secret key and returned once, by `joinWaitlist`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, LimitExceededError, NotFoundError
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.validation import parse_id
from models.waitlist import WaitlistStatus
from resolvers.availability import preferences
from resolvers.availability.preferences import EntryRequest
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.citizen import citizen, columns
from resolvers.waitlist import offers
from resolvers.waitlist.offers import OfferTiming


@dataclass(frozen=True, slots=True)
class WaitlistRecord:
    id: int
    service_id: int
    office_ids: list[int] | None
    from_date: date
    to_date: date
    status: WaitlistStatus
    position: int | None  # among those still waiting for the procedure, from 1; None once not waiting
    offer_slot_id: int | None
    offer_expires_at: datetime | None
    manage_token: str | None = None  # only in joinWaitlist's answer

    @classmethod
    def from_row(cls, row: RowMapping, token: str | None = None) -> WaitlistRecord:
        return cls(
            id=row["id"],
            service_id=row["service_id"],
            office_ids=list(row["office_ids"]) if row["office_ids"] is not None else None,
            from_date=row["from_date"],
            to_date=row["to_date"],
            status=WaitlistStatus(row["status"]),
            position=row["position"],
            offer_slot_id=row["offer_slot_id"],
            offer_expires_at=row["offer_expires_at"],
            manage_token=token,
        )


_COLUMNS = """w.id, w.service_id, w.office_ids, w.from_date, w.to_date, w.status::text AS status, w.offer_slot_id,
    w.offer_expires_at,
    CASE WHEN w.status = 'WAITING' THEN (
        SELECT count(*) FROM waitlist_entries ahead
        WHERE ahead.service_id = w.service_id AND ahead.status = 'WAITING' AND ahead.id <= w.id
    ) END AS position"""

_SERVICE = text("SELECT booking_window_days FROM services WHERE id = :id")


async def join(
    conn: AsyncConnection,
    secret_key: bytes,
    request: EntryRequest,
    timing: OfferTiming,
    gate: ChallengeGate | None = None,
) -> WaitlistRecord:
    """A place at the back of the line; where the procedure's challenge policy asks, for a solved challenge
    (a place in line is what a bot would hoard next, once seats need one). A suitable seat kept back for its
    re-release delay is offered at once (resolvers/waitlist/offers.py)."""
    person = citizen(secret_key, request.citizen)
    service_id = parse_id(request.service_id)
    window = (await conn.execute(_SERVICE, {"id": service_id})).scalar() if service_id is not None else None
    if service_id is None or window is None:
        raise NotFoundError("No procedure has this ID.")
    wishes = await preferences.wanted(conn, request, service_id, int(window))
    if gate is not None:
        await gate(conn, service_id)
    nonce = new_nonce()
    token = manage_token(secret_key, nonce)
    values: dict[str, Any] = {
        "service_id": service_id,
        **wishes,
        **columns(person),
        "nonce": nonce,
        "token_hash": manage_token_hash(secret_key, token),
    }
    inserted = (await conn.execute(_INSERT_ENTRY, values)).scalar()
    if inserted is None:
        raise LimitExceededError(
            "This person (by document, e-mail or phone) is already on the waitlist for this procedure."
        )
    await offers.offer_kept_back(conn, int(inserted), timing)
    return await read(conn, int(inserted), token)


# The partial unique indexes (document, e-mail, phone: models/waitlist.py) refuse a second live entry of the
# same person, whichever key it shares: nothing is inserted then. With no conflict target every unique index is
# an arbiter; a concurrent insert of the same person waits for the first to commit, then inserts nothing.
_INSERT_ENTRY = text("""
    INSERT INTO waitlist_entries (service_id, office_ids, from_date, to_date, weekdays, earliest, latest,
        citizen_name, citizen_email, citizen_phone, citizen_locale, document_hash, document_hint, email_hash,
        phone_hash, manage_nonce, manage_token_hash)
    VALUES (:service_id, :office_ids, :from_date, :to_date, :weekdays, :earliest, :latest, :name, :email, :phone,
        :locale, :document_hash, :document_hint, :email_hash, :phone_hash, :nonce, :token_hash)
    ON CONFLICT DO NOTHING
    RETURNING id
""")
_BY_ID = text(f"SELECT {_COLUMNS} FROM waitlist_entries w WHERE w.id = :id")
_BY_TOKEN = text(f"SELECT {_COLUMNS} FROM waitlist_entries w WHERE w.id = :id AND w.manage_token_hash = :token_hash")
_LOCK = text("""SELECT status::text AS status, offer_slot_id, offer_hold_id FROM waitlist_entries
    WHERE id = :id AND manage_token_hash = :token_hash FOR UPDATE""")
_LEAVE = text(
    """UPDATE waitlist_entries SET status = 'LEFT', offer_slot_id = NULL, offer_expires_at = NULL,
        offer_hold_id = NULL WHERE id = :id"""
)


async def read(conn: AsyncConnection, entry_id: int, token: str | None = None) -> WaitlistRecord:
    return WaitlistRecord.from_row((await conn.execute(_BY_ID, {"id": entry_id})).mappings().one(), token)


async def by_token(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> WaitlistRecord | None:
    number = parse_id(entry_id)
    if number is None:
        return None
    values = {"id": number, "token_hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_BY_TOKEN, values)).mappings().first()
    return WaitlistRecord.from_row(row) if row is not None else None


async def locked(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> tuple[int, RowMapping]:
    """The entry's id and its status, offer_slot_id and offer_hold_id, locked to the end of the transaction;
    NotFound unless the ID and the manage token go together."""
    number = parse_id(entry_id)
    values = {"id": number, "token_hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_LOCK, values)).mappings().first() if number is not None else None
    if number is None or row is None:
        raise NotFoundError("No waitlist entry has this ID and manage token.")
    return number, row


async def leave(
    conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str, timing: OfferTiming
) -> WaitlistRecord:
    """Leaving while OFFERED declines the offer: its seat goes to the next matching entry at once."""
    number, row = await locked(conn, secret_key, entry_id, token)
    status = row["status"]
    if status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
        raise InvalidStateError(f"This entry is {status.lower()}: there is nothing to leave.")
    await conn.execute(_LEAVE, {"id": number})
    if status == WaitlistStatus.OFFERED:
        await offers.withdraw(conn, int(row["offer_slot_id"]), row["offer_hold_id"], timing)
    return await read(conn, number)
