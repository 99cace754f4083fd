"""Holding a seat while the citizen fills in the form: `holdSlot` takes it, `book` with the token uses it.

A hold lasts TURNERO_HOLD_MINUTES; an expired one is simply no longer counted (resolvers/booking/seats.py),
so no job is needed for its seat to return: the nightly prune only deletes old rows (jobs/housekeeping.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core import availability_versions
from core.errors import LimitExceededError
from core.messages import msg
from models.agenda import slot_holds, slots
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import SlotRecord
from resolvers.booking import identity, party, seats
from resolvers.booking.access import may_use_reserved
from resolvers.booking.challenge import Gate
from resolvers.booking.codes import hold_address_hash, hold_token_hash, new_hold_token

MAX_LIVE_HOLDS = 2


@dataclass(frozen=True, slots=True)
class HoldRecord:
    token: str
    slot: SlotRecord
    expires_at: datetime


# live holds of one address, or of one citizen's document (holds made for a named citizen carry it)
_LIVE_HOLDS = select(func.count()).where(
    or_(
        slot_holds.c.address_hash == bindparam("address_hash"),
        slot_holds.c.document_hash == bindparam("document_hash"),
    ),
    slot_holds.c.expires_at > func.clock_timestamp(),
)


async def within_hold_limit(conn: AsyncConnection, address_hash: bytes | None, document_hash: bytes | None) -> None:
    """At most MAX_LIVE_HOLDS live holds per client address and per citizen document.

    Serialised per address (or document) with an advisory lock held to the end of the transaction, so two
    requests at once cannot both pass the count.
    """
    if address_hash is None and document_hash is None:
        return
    await identity.lock_people(conn, address_hash, document_hash)
    live = (
        await conn.execute(_LIVE_HOLDS, {"address_hash": address_hash, "document_hash": document_hash})
    ).scalar_one()
    if live >= MAX_LIVE_HOLDS:
        raise LimitExceededError(
            msg(
                "At most {count} seats may be held at once: book or let one of them expire first.", count=MAX_LIVE_HOLDS
            )
        )


def _counted_by_address(viewer: Viewer) -> bool:
    """Citizens (and devices) are told apart by address; staff and partners by their own credentials, which
    many callers behind one address (a call centre, a partner's server) share."""
    return not viewer.is_staff and viewer.partner_id is None


async def hold_slot(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    client_address: str,
    slot_id: str,
    minutes: float,
    gate: Gate | None = None,
    party_size: int = 1,
) -> HoldRecord:
    """A seat kept for `minutes` (a party's seats, all or none: `book` with the token brings as many people);
    where the procedure's challenge policy asks, only for a solved challenge (the hold is what takes the scarce
    seat: `book` with its token asks for none again). A party's hold counts as one hold to the limit."""
    found, policy = await seats.find_slot_and_policy(conn, slot_id)
    await party.within_party_size(conn, found.service_id, party_size, "partySize")
    address_hash = hold_address_hash(secret_key, client_address) if _counted_by_address(viewer) else None
    await within_hold_limit(conn, address_hash, None)
    if gate is not None:
        await gate(conn, found.service_id, policy)
    token = new_hold_token()
    expires_at = await seats.hold_seat(
        conn,
        found,
        token_hash=hold_token_hash(secret_key, token),
        address_hash=address_hash,
        seconds=minutes * 60,
        with_reserved=may_use_reserved(viewer, found.office_id),
        seats=party_size,
    )
    held = await seats.slot(conn, found.id)
    assert held is not None, "a slot with a seat just held exists"
    availability_versions.changed(conn, [found.service_id])
    return HoldRecord(token=token, slot=held, expires_at=expires_at)


_RELEASE = (
    delete(slot_holds)
    .where(
        slot_holds.c.token_hash == bindparam("token_hash"),
        slot_holds.c.expires_at > func.now(),
        slots.c.id == slot_holds.c.slot_id,
    )
    .returning(slots.c.service_id)
)


async def release_hold(conn: AsyncConnection, secret_key: bytes, token: str) -> bool:
    """Gives a held seat back before its time (the citizen picked another): whoever has the token may."""
    released = (await conn.execute(_RELEASE, {"token_hash": hold_token_hash(secret_key, token)})).first()
    # the seat came back to this service's answers (none when the token held nothing)
    availability_versions.changed(conn, [released.service_id] if released is not None else [])
    return released is not None
