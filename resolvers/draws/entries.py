"""Entering a draw, reading an entry, withdrawing it.

An entry names the procedure, the person and the seats that suit them (resolvers/availability/preferences.py).
It is taken only while the procedure's draw is open. One per person and draw, whichever of document, e-mail or
phone is shared (the unique indexes refuse the second); and at most TURNERO_DRAW_ENTRIES_PER_ADDRESS per client
address, so that invented identities do not make a bot many people. The manage token is returned once, by
`enterDraw`; the waitlist entry a losing entry becomes answers to the same token.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, LimitExceededError, NotFoundError, ValidationFailed
from core.manage_tokens import manage_token, manage_token_hash, new_nonce
from core.messages import msg, status_word
from core.validation import parse_id
from models.booking import bookings
from models.catalogue import ReleasePolicy, services
from models.draws import DrawEntryStatus, DrawStatus, draw_entries, draws
from resolvers.agenda.release_windows import next_release
from resolvers.availability import preferences
from resolvers.booking import identity
from resolvers.booking.book import within_limit
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.citizen import citizen, columns
from resolvers.booking.entry_request import EntryRequest
from resolvers.rows import record_from_row


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


e, d, b = draw_entries, draws, bookings
_ENTRY = select(
    e.c.id,
    e.c.draw_id,
    d.c.service_id,
    e.c.status,
    e.c.from_date,
    e.c.to_date,
    d.c.closes_at.label("draw_closes_at"),
    e.c.slot_id,
    b.c.code.label("booking_code"),
    e.c.waitlist_entry_id,
).select_from(e.join(d, d.c.id == e.c.draw_id).outerjoin(b, b.c.id == e.c.booking_id))
_BY_ID = _ENTRY.where(e.c.id == bindparam("entry_id"))
_BY_TOKEN = _ENTRY.where(e.c.id == bindparam("entry_id"), e.c.manage_token_hash == bindparam("token_hash"))

_SERVICE = select(
    services.c.release_policy, services.c.booking_window_days, services.c.confirmation_required, func.now().label("now")
).where(services.c.id == bindparam("service_id"))
# the open draw, shared-locked so that it is not drawn while this entry goes in (the draw job locks it FOR UPDATE)
_OPEN_DRAW = (
    select(d.c.id)
    .where(d.c.service_id == bindparam("service_id"), d.c.status == DrawStatus.OPEN, d.c.closes_at > func.now())
    .with_for_update(read=True)
)
_FROM_ADDRESS = select(func.count()).where(
    e.c.draw_id == bindparam("draw_id"),
    e.c.address_hash == bindparam("address_hash"),
    e.c.status != DrawEntryStatus.WITHDRAWN,
)
# any unique index (document, e-mail, phone within the draw) refuses a second entry of the same person
_INSERT = insert(draw_entries).on_conflict_do_nothing().returning(draw_entries.c.id)


def _record(row: RowMapping, token: str | None = None) -> DrawEntryRecord:
    return dataclasses.replace(record_from_row(DrawEntryRecord, row), manage_token=token)


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
        msg("No draw is open for this procedure: the next opens at the release of {at}.", at=opens.isoformat()),
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
    service = (await conn.execute(_SERVICE, {"service_id": service_id})).mappings().first() if service_id else None
    if service_id is None or service is None:
        raise NotFoundError("No procedure has this ID.")
    wishes = await preferences.wanted(conn, request, service_id, int(service["booking_window_days"]))
    if service["confirmation_required"] and person.email is None and cap.address_hash is not None:
        raise ValidationFailed(
            "input.citizen.email", "This procedure sends a link to confirm the seat won: give an e-mail."
        )
    draw_id = await _open_draw(conn, service_id, ReleasePolicy(service["release_policy"]), service["now"])
    if gate is not None:
        await gate(conn, service_id)
    await within_limit(conn, person, service_id)  # someone who may book no more need not take part
    if cap.address_hash is not None:
        # entries from one address, one at a time: two at once cannot both pass the count
        await identity.lock_people(conn, cap.address_hash)
        values = {"draw_id": draw_id, "address_hash": cap.address_hash}
        if (await conn.execute(_FROM_ADDRESS, values)).scalar_one() >= cap.per_address:
            raise LimitExceededError(
                msg("At most {count} entries to a draw come from one address.", count=cap.per_address)
            )
    nonce = new_nonce()
    token = manage_token(secret_key, nonce)
    values = wishes | {
        "draw_id": draw_id,
        **columns(person),
        "address_hash": cap.address_hash,
        "manage_nonce": nonce,
        "manage_token_hash": manage_token_hash(secret_key, token),
    }
    inserted = (await conn.execute(_INSERT.values(values))).scalar()
    if inserted is None:
        raise LimitExceededError("This person (document, e-mail or phone) has already entered this draw.")
    return await read(conn, int(inserted), token)


async def read(conn: AsyncConnection, entry_id: int, token: str | None = None) -> DrawEntryRecord:
    return _record((await conn.execute(_BY_ID, {"entry_id": entry_id})).mappings().one(), token)


async def by_token(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> DrawEntryRecord | None:
    number = parse_id(entry_id)
    if number is None:
        return None
    values = {"entry_id": number, "token_hash": manage_token_hash(secret_key, token)}
    row = (await conn.execute(_BY_TOKEN, values)).mappings().first()
    return _record(row) if row is not None else None


# only while its draw is open and not being drawn (the draw job holds the draw's row FOR UPDATE: this waits)
_WITHDRAW = (
    update(e)
    .where(
        e.c.id == bindparam("entry_id"),
        e.c.manage_token_hash == bindparam("token_hash"),
        e.c.status == DrawEntryStatus.ENTERED,
        d.c.id == e.c.draw_id,
        d.c.status == DrawStatus.OPEN,
        d.c.closes_at > func.now(),
    )
    .values(status=DrawEntryStatus.WITHDRAWN)
    .returning(e.c.id)
)


async def withdraw(conn: AsyncConnection, secret_key: bytes, entry_id: str, token: str) -> DrawEntryRecord:
    found = await by_token(conn, secret_key, entry_id, token)
    if found is None:
        raise NotFoundError("No draw entry has this ID and manage token.")
    values = {"entry_id": found.id, "token_hash": manage_token_hash(secret_key, token)}
    if (await conn.execute(_WITHDRAW, values)).first() is None:
        raise InvalidStateError(
            msg("This entry is {status} and its draw closed: nothing to withdraw.", status=status_word(found.status))
        )
    return await read(conn, found.id)
