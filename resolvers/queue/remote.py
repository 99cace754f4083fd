"""Waiting outside: the remote queue and the building's capacity.

A remote ticket (`tickets.remote`) is a WAITING ticket whose holder is not in the building: they joined from home
(`joinQueue`, origin HOME) or came to a full building (`issueTicket` over `Office.max_occupancy`, origin DOOR). It
holds its place in line (its `due_at` is when it joined) and counts in everyone's position, but callNext passes it
over (`tickets.inside()`) until its holder checks in at the kiosk with its code (`arrive`); then it is an ordinary
ticket in the place it earned.

After every queue change of an office (`log.append` runs `admit`), its remote tickets are looked at, in line order:
- one reaching position 1 is at the front (`remote_tickets.front_at`, the no-show clock: resolvers/queue/sweep.py);
- one near the front (a HOME ticket `Office.remote_head_in_places` places or fewer from it; a DOOR ticket at once)
  is told to come in (`head_in_at`, once; a HOME ticket's "head in now" mail goes through the outbox), provided
  there is room inside.

Occupancy (resolvers/occupancy.py, the one definition) tells how much room is left inside.

Every decision on room is taken under the office's queue counter row lock (`lock_line`): the same lock every queue
change takes to number its event, so parallel walk-ins and arrivals see each other's tickets and never let more
than the maximum in.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.catalogue import Office
from models.queue import OfficeQueueCounter, RemoteOrigin, RemoteTicket, Ticket, TicketStatus
from resolvers.booking.codes import CODE_ALPHABET
from resolvers.occupancy import occupancy
from resolvers.outbox.enqueue import enqueue
from resolvers.queue.tickets import LINE_ORDER, status_in
from resolvers.queue.waits import waits

# shorter than a booking's code (8): checkIn tells them apart by length; unique per office and day
REMOTE_CODE_LENGTH = 6
HEAD_IN_MAIL = "queue.head_in"


async def lock_line(conn: AsyncConnection, office_id: int) -> None:
    """Takes the office's queue counter row lock (creating the row if need be) until the transaction ends."""
    counter = upsert(OfficeQueueCounter).values(office_id=office_id)
    await conn.execute(
        counter.on_conflict_do_update(
            index_elements=[OfficeQueueCounter.office_id], set_={"last_seq": OfficeQueueCounter.last_seq}
        )
    )


async def full_for_walk_in(conn: AsyncConnection, office_id: int) -> bool:
    """Whether a walk-in must wait outside: the office sets a maximum and no room is left. Where it does, the
    line stays locked (lock_line) until the ticket is issued, so parallel walk-ins are counted one by one."""
    limit = (await conn.execute(select(Office.max_occupancy).where(Office.id == office_id))).scalar()
    if limit is None:
        return False
    await lock_line(conn, office_id)
    room = (await occupancy(conn, office_id)).room
    return room is not None and room <= 0


def new_remote_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(REMOTE_CODE_LENGTH))


async def make_remote(
    conn: AsyncConnection, ticket_id: int, origin: RemoteOrigin, contact: dict[str, object] | None = None
) -> None:
    """Sends a just-issued ticket outside with a code of its own. Under lock_line: no other ticket of the office
    is being given a code meanwhile, so a code found free stays free."""
    day = select(Ticket.office_id, Ticket.day).where(Ticket.id == ticket_id).subquery()
    while True:
        code = new_remote_code()
        taken = exists().where(Ticket.office_id == day.c.office_id, Ticket.day == day.c.day, Ticket.remote_code == code)
        if not (await conn.execute(select(taken))).scalar():
            break
    await conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(remote=True, remote_code=code))
    await conn.execute(insert(RemoteTicket).values(ticket_id=ticket_id, origin=origin, **(contact or {})))


_OUTSIDE = (
    select(Ticket.id, Ticket.head_in_at, RemoteTicket.origin, RemoteTicket.front_at)
    .join(RemoteTicket, RemoteTicket.ticket_id == Ticket.id)
    .where(Ticket.remote, status_in(TicketStatus.WAITING))
    .order_by(*LINE_ORDER)
    # never waits: a remote ticket another transaction holds (a clerk cancelling it, its holder arriving) is
    # looked at again when that transaction logs its own event; waiting here could close a lock cycle with it
    .with_for_update(of=Ticket, skip_locked=True)
)
_HEAD_IN_PLACES = select(Office.remote_head_in_places)


async def admit(conn: AsyncConnection, office_id: int) -> None:
    """After a queue change of the office: marks the remote tickets that reached the front and tells those near
    it to come in while there is room (see the module's docstring). One index probe when nobody waits outside."""
    outside = (await conn.execute(_OUTSIDE.where(Ticket.office_id == office_id))).all()
    pending = [row for row in outside if row.head_in_at is None or row.front_at is None]
    if not pending:
        return
    places = await waits(conn, [row.id for row in pending])
    at_front = [row.id for row in pending if row.front_at is None and _position(places, row.id) == 1]
    if at_front:
        await conn.execute(update(RemoteTicket).where(RemoteTicket.ticket_id.in_(at_front)).values(front_at=func.now()))
    head_in = int((await conn.execute(_HEAD_IN_PLACES.where(Office.id == office_id))).scalar_one())
    room = (await occupancy(conn, office_id)).room
    for row in pending:
        if row.head_in_at is not None:
            continue
        if row.origin != RemoteOrigin.DOOR and _position(places, row.id) > head_in:
            continue
        if room is not None and room <= 0:
            break  # in line order: nobody behind takes the room the first one is waiting for
        await conn.execute(update(Ticket).where(Ticket.id == row.id).values(head_in_at=func.now()))
        if row.origin == RemoteOrigin.HOME:
            await enqueue(conn, HEAD_IN_MAIL, None, {"ticket_id": row.id})
        room = None if room is None else room - 1


def _position(places: dict[int, Any], ticket_id: int) -> int:
    wait = places.get(ticket_id)
    return int(wait.position) if wait is not None else 0


_OPEN = status_in(TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
# "open" for the one-remote-ticket-per-person rule: the visit it started is not over
_OPEN_FOR_CONTACT = select(Ticket.number).join(RemoteTicket, RemoteTicket.ticket_id == Ticket.id).where(_OPEN).limit(1)


async def open_ticket_of(conn: AsyncConnection, email_hash: bytes | None, phone_hash: bytes | None) -> str | None:
    """The number of the person's open remote ticket, by e-mail or phone, if any. Takes a transaction-long
    advisory lock on each key first (in a fixed order), so two joins of the same person cannot both find none."""
    keys = sorted(int.from_bytes(h[:8], "big", signed=True) for h in (email_hash, phone_hash) if h is not None)
    for key in keys:
        await conn.execute(select(func.pg_advisory_xact_lock(key)))
    same = [
        condition
        for condition, given in (
            (RemoteTicket.email_hash == email_hash, email_hash),
            (RemoteTicket.phone_hash == phone_hash, phone_hash),
        )
        if given is not None
    ]
    if not same:
        return None
    found: str | None = (await conn.execute(_OPEN_FOR_CONTACT.where(or_(*same)))).scalar()
    return found
