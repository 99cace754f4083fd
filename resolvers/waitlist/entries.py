"""Joining, reading and leaving the waitlist of a procedure.

An entry names the procedure, the offices the person can go to (none: any that offers it) and the days they
can come; it keeps its place by id. The person is identified as on bookings (document, e-mail and phone as keyed
hashes), and holds one live entry per procedure, whichever of the three is shared. Its manage token, like a
booking's, is derived from a nonce with the secret key and returned once, by `joinWaitlist`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, LimitExceededError, NotFoundError
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.messages import msg, status_word
from core.validation import parse_id
from models.catalogue import services
from models.waitlist import WaitlistStatus, waitlist_entries
from resolvers.availability import preferences
from resolvers.booking import freed_seats
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.citizen import citizen, columns
from resolvers.booking.entry_request import EntryRequest
from resolvers.booking.freed_seats import OfferTiming
from resolvers.rows import record_from_row


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


w = waitlist_entries
_ahead = waitlist_entries.alias("ahead")
_POSITION = case(
    (
        w.c.status == WaitlistStatus.WAITING,
        select(func.count())
        .where(
            _ahead.c.service_id == w.c.service_id,
            _ahead.c.status == WaitlistStatus.WAITING,
            _ahead.c.id <= w.c.id,
        )
        .scalar_subquery(),
    )
).label("position")
_ENTRY = select(*(w.c[field.name] for field in dataclasses.fields(WaitlistRecord) if field.name in w.c), _POSITION)

_SERVICE = select(services.c.booking_window_days).where(services.c.id == bindparam("service_id"))


def _record(row: RowMapping, token: str | None = None) -> WaitlistRecord:
    return dataclasses.replace(record_from_row(WaitlistRecord, row), manage_token=token)


async def join(
    conn: AsyncConnection,
    secret_key: bytes,
    request: EntryRequest,
    timing: OfferTiming,
    gate: ChallengeGate | None = None,
) -> WaitlistRecord:
    """A place at the back of the line; where the procedure's challenge policy asks, for a solved challenge
    (a place in line is what a bot would hoard next, once seats need one). A suitable seat kept back for its
    re-release delay is offered at once (resolvers/booking/freed_seats.py)."""
    person = citizen(secret_key, request.citizen)
    service_id = parse_id(request.service_id)
    window = (await conn.execute(_SERVICE, {"service_id": service_id})).scalar() if service_id is not None else None
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
        "manage_nonce": nonce,
        "manage_token_hash": manage_token_hash(secret_key, token),
    }
    inserted = (await conn.execute(_INSERT_ENTRY.values(values))).scalar()
    if inserted is None:
        raise LimitExceededError(
            "This person (by document, e-mail or phone) is already on the waitlist for this procedure."
        )
    await freed_seats.offer_kept_back(conn, int(inserted), timing)
    return await read(conn, int(inserted), token)


# The partial unique indexes (document, e-mail, phone: models/waitlist.py) refuse a second live entry of the
# same person, whichever key it shares: nothing is inserted then. With no conflict target every unique index is
# an arbiter; a concurrent insert of the same person waits for the first to commit, then inserts nothing.
_INSERT_ENTRY = insert(waitlist_entries).on_conflict_do_nothing().returning(waitlist_entries.c.id)
_BY_ID = _ENTRY.where(w.c.id == bindparam("entry_id"))
_BY_TOKEN = _ENTRY.where(w.c.id == bindparam("entry_id"), w.c.manage_token_hash == bindparam("token_hash"))
_LOCK = (
    select(w.c.status, w.c.offer_slot_id, w.c.offer_hold_id)
    .where(w.c.id == bindparam("entry_id"), w.c.manage_token_hash == bindparam("token_hash"))
    .with_for_update()
)
_LEAVE = (
    update(waitlist_entries)
    .where(waitlist_entries.c.id == bindparam("entry_id"))
    .values(status=WaitlistStatus.LEFT, offer_slot_id=None, offer_expires_at=None, offer_hold_id=None)
)


async def read(conn: AsyncConnection, entry_id: int, token: str | None = None) -> WaitlistRecord:
    return _record((await conn.execute(_BY_ID, {"entry_id": entry_id})).mappings().one(), token)


async def by_token(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> WaitlistRecord | None:
    number = parse_id(entry_id)
    if number is None:
        return None
    values = {"entry_id": number, "token_hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_BY_TOKEN, values)).mappings().first()
    return _record(row) if row is not None else None


async def locked(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> tuple[int, RowMapping]:
    """The entry's id and its status, offer_slot_id and offer_hold_id, locked to the end of the transaction;
    NotFound unless the ID and the manage token go together."""
    number = parse_id(entry_id)
    values = {"entry_id": number, "token_hash": manage_token_hash(secret_key, token)}
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
        raise InvalidStateError(msg("This entry is {status}: there is nothing to leave.", status=status_word(status)))
    await conn.execute(_LEAVE, {"entry_id": number})
    if status == WaitlistStatus.OFFERED:
        await freed_seats.withdraw(conn, int(row["offer_slot_id"]), row["offer_hold_id"], timing)
    return await read(conn, number)
