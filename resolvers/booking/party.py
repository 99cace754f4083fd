"""A family in one booking: the holder and up to the service's max_party_size - 1 companions take as many seats
of one slot under one code, all or none.

Each companion is a person to the per-citizen limits (book.within_limit counts the bookings a person holds or
is a companion in), so a party cannot carry someone past their limit. Companions are kept as a name for the
desk and keyed hashes for the limits (booking_companions); their e-mail and phone, if given, only as hashes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError, ValidationFailed
from core.messages import msg
from models.booking import booking_companions
from models.catalogue import services
from resolvers.booking.citizen import Citizen, CitizenInput, citizen
from resolvers.booking.freed_seats import OfferTiming, free_seat
from resolvers.catalogue.services import MAX_PARTY_SIZE


def companions(secret_key: bytes, holder: Citizen, given: Sequence[CitizenInput] | None) -> tuple[Citizen, ...]:
    """The companions validated like the holder (errors name `companions.<i>.<field>`); nobody twice."""
    people: list[Citizen] = []
    seen = {holder.document_hash}
    for index, data in enumerate(given or ()):
        try:
            person = citizen(secret_key, data)
        except ValidationFailed as error:
            field = error.field.removeprefix("citizen.")
            raise ValidationFailed(f"companions.{index}.{field}", error.text) from error
        if person.document_hash in seen:
            raise ValidationFailed(
                f"companions.{index}.documentId", "This person is already in the party: each person comes once."
            )
        seen.add(person.document_hash)
        people.append(person)
    return tuple(people)


_MAX_PARTY = select(services.c.max_party_size).where(services.c.id == bindparam("service_id"))


async def within_party_size(conn: AsyncConnection, service_id: int, size: int, field: str = "companions") -> None:
    """Refuses a party larger than the procedure allows: a ValidationError on `field`, the argument that said
    how many (`book`'s companions, `holdSlot`'s partySize)."""
    if not 1 <= size <= MAX_PARTY_SIZE:
        raise ValidationFailed(field, msg("A party is 1 to {count} people.", count=MAX_PARTY_SIZE))
    if size == 1:
        return  # every procedure takes one person: no need to ask
    allowed = (await conn.execute(_MAX_PARTY, {"service_id": service_id})).scalar()
    if allowed is None:
        raise NotFoundError("No service has this ID.")
    if size > allowed:
        raise ValidationFailed(
            field,
            msg(
                "This procedure takes at most {count} person(s) per booking; book separately for the others.",
                count=allowed,
            ),
        )


async def insert_companions(conn: AsyncConnection, booking_id: int, people: Sequence[Citizen]) -> None:
    if not people:
        return
    # one multi-row INSERT: the whole party in one round trip
    rows = [
        {
            "booking_id": booking_id,
            "position": position,
            "name": person.name,
            "document_hash": person.document_hash,
            "document_hint": person.document_hint,
            "email_hash": person.email_hash,
            "phone_hash": person.phone_hash,
        }
        for position, person in enumerate(people, start=1)
    ]
    await conn.execute(insert(booking_companions).values(rows))


_OF_BOOKING = (
    select(booking_companions.c.name, booking_companions.c.document_hint)
    .where(booking_companions.c.booking_id == bindparam("booking_id"))
    .order_by(booking_companions.c.position)
)


async def companions_of(conn: AsyncConnection, booking_id: int) -> list[tuple[str, str]]:
    """A booking's companions as the desk and the citizen see them: name and the document's last characters."""
    rows = await conn.execute(_OF_BOOKING, {"booking_id": booking_id})
    return [(row.name, row.document_hint) for row in rows]


async def free_seats(conn: AsyncConnection, slot_id: int, seats: int, timing: OfferTiming) -> None:
    """A party's seats given back: the waitlist is offered them seat by seat (each may go to another entry)."""
    for _ in range(seats):
        await free_seat(conn, slot_id, timing)
