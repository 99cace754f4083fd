"""Accepting an offer: the seat held for the entry becomes the citizen's booking, as `book` makes one."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason
from core.messages import msg, status_word
from models.agenda import slot_holds
from models.booking import Channel
from models.waitlist import WaitlistStatus, waitlist_entries
from resolvers.accounts.viewer import Viewer
from resolvers.booking import identity, seats
from resolvers.booking.book import insert_booking, within_limit
from resolvers.booking.citizen import Citizen
from resolvers.booking.records import ConfirmationRecord
from resolvers.waitlist.entries import locked

w = waitlist_entries
_OFFER = (
    select(
        (w.c.offer_expires_at > func.now()).label("in_time"),
        slot_holds.c.token_hash,
        w.c.citizen_name,
        w.c.citizen_email,
        w.c.citizen_phone,
        w.c.citizen_locale,
        w.c.document_hash,
        w.c.document_hint,
    )
    .select_from(w.outerjoin(slot_holds, slot_holds.c.id == w.c.offer_hold_id))
    .where(w.c.id == bindparam("entry_id"))
)
_BOOKED = (
    update(w)
    .where(w.c.id == bindparam("entry_id"))
    .values(status=WaitlistStatus.BOOKED, booking_id=bindparam("made_booking_id"), offer_hold_id=None)
)


async def accept_offer(
    conn: AsyncConnection, viewer: Viewer, secret_key: bytes, entry_id: str, token: str
) -> ConfirmationRecord:
    """Books the offered seat for the entry's citizen (limits as for `book`); after offer_expires_at the seat is
    no longer theirs, whether or not the expiry job has passed it on yet."""
    number, entry = await locked(conn, secret_key, entry_id, token)
    if entry["status"] != "OFFERED":
        raise InvalidStateError(
            msg("This entry is {status}: it has no offer to accept.", status=status_word(entry["status"])),
            InvalidStateReason.NOT_OFFERED,
        )
    offer = (await conn.execute(_OFFER, {"entry_id": number})).mappings().one()
    if not offer["in_time"] or offer["token_hash"] is None:
        raise InvalidStateError(
            "This offer has expired: the seat went to the next person.", InvalidStateReason.OFFER_EXPIRED
        )
    found = await seats.slot(conn, int(entry["offer_slot_id"]))
    assert found is not None, "an offered seat's slot exists"
    email, phone = offer["citizen_email"], offer["citizen_phone"]
    person = Citizen(
        name=offer["citizen_name"],
        email=email,
        phone=phone,
        locale=offer["citizen_locale"],
        document_hash=bytes(offer["document_hash"]),
        document_hint=offer["document_hint"],
        # the booking counts against the person by e-mail and phone too, as one made by `book` does (the entry
        # keeps them as the citizen gave them: the phone already in E.164)
        email_hash=identity.email_hash(secret_key, email) if email else None,
        phone_hash=identity.phone_hash(secret_key, phone) if phone else None,
    )
    await within_limit(conn, person, found.service_id)
    taken = await seats.take_held_seat(conn, found, bytes(offer["token_hash"]))
    confirmation = await insert_booking(conn, viewer, secret_key, taken, person, Channel.WEB, None)
    await conn.execute(_BOOKED, {"entry_id": number, "made_booking_id": confirmation.booking.id})
    return confirmation
