"""Occupancy, the one definition: the people of the office's tickets of its current local day that are in the
building: WAITING and not remote, CALLED, or SERVING, each counting its booking's party (1 without one). Remote
tickets told to come in and not arrived yet are `expected`: the room left is `max - inside - expected`.

Read by the remote queue's decisions (resolvers/queue/remote.py, under the line's lock), the board and the
manager's `officeLive` (resolvers/analytics/live.py): it sits outside both and imports neither, so analytics reads
it without a cycle through the queue's writers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import Booking
from models.catalogue import Office
from models.queue import Ticket, TicketStatus
from resolvers.sql import written_in


@dataclass(frozen=True, slots=True)
class Occupancy:
    inside: int  # people in the building (see the module's docstring)
    max: int | None  # Office.max_occupancy; None: no limit
    expected: int = 0  # told to come in, not arrived yet

    @property
    def room(self) -> int | None:
        """Places left for people outside; None when the office sets no maximum."""
        return None if self.max is None else self.max - self.inside - self.expected


def today() -> Any:
    """The office's current local day (for a statement that joins Office)."""
    return cast(func.timezone(Office.timezone, func.now()), Date)


_PARTY = func.coalesce(Booking.party_size, 1)
_OPEN = written_in(Ticket.status, TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
_OCCUPANCY = (
    select(
        Office.max_occupancy,
        func.coalesce(func.sum(_PARTY).filter(Ticket.remote.is_(False)), 0).label("inside"),
        func.count(Ticket.id).filter(Ticket.remote, Ticket.head_in_at.is_not(None)).label("expected"),
    )
    .select_from(Office)
    .outerjoin(Ticket, and_(Ticket.office_id == Office.id, _OPEN, Ticket.day == today()))
    .outerjoin(Booking, Booking.id == Ticket.booking_id)
    .group_by(Office.id)
)


async def occupancy(conn: AsyncConnection, office_id: int) -> Occupancy:
    row = (await conn.execute(_OCCUPANCY.where(Office.id == office_id))).one()
    return Occupancy(inside=int(row.inside), max=row.max_occupancy, expected=int(row.expected))
