"""Replaying a past draw from its seed: the stored seats and the entries (their preferences, and whether each
person could still book, which the draw recorded as INELIGIBLE) run through the same pure assignment, and the
answer is compared with what the draw gave. `python main.py replay-draw DRAW_ID` prints it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotFoundError
from models.draws import DrawEntryStatus, DrawStatus, draw_entries, draws
from resolvers.availability.preferences import Preferences
from resolvers.draws.assignment import Entrant, Seat, assign
from resolvers.rows import record_from_row


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    draw_id: int
    seed: bytes
    replayed: list[tuple[int, int | None]]  # in the draw's order
    recorded: dict[int, int | None]  # entry id: the slot it won, as stored

    @property
    def matches(self) -> bool:
        return dict(self.replayed) == self.recorded


_DRAW = select(draws.c.status, draws.c.seed, draws.c.seats).where(draws.c.id == bindparam("draw_id"))
# every entry that was in the draw when it ran: all but those withdrawn before
e = draw_entries
_ENTRIES = (
    select(
        e.c.id,
        e.c.office_ids,
        e.c.from_date,
        e.c.to_date,
        e.c.weekdays,
        e.c.earliest,
        e.c.latest,
        e.c.status,
        e.c.slot_id,
    )
    .where(e.c.draw_id == bindparam("draw_id"), e.c.status != DrawEntryStatus.WITHDRAWN)
    .order_by(e.c.id)
)


@dataclass(frozen=True, slots=True)
class DrawInputs:
    seed: bytes
    entrants: list[Entrant]
    seats: list[Seat]
    recorded: dict[int, int | None]


async def inputs(conn: AsyncConnection, draw_id: int) -> DrawInputs:
    """What the draw was run on, as stored: NotFound, or InvalidState before it has run."""
    draw = (await conn.execute(_DRAW, {"draw_id": draw_id})).mappings().first()
    if draw is None:
        raise NotFoundError("No draw has this ID.")
    if draw["status"] is not DrawStatus.DRAWN or draw["seed"] is None:
        raise InvalidStateError("This draw has not been drawn yet.")
    rows = list((await conn.execute(_ENTRIES, {"draw_id": draw_id})).mappings())
    return DrawInputs(
        seed=bytes(draw["seed"]),
        entrants=[
            Entrant(
                row["id"], record_from_row(Preferences, row), eligible=row["status"] is not DrawEntryStatus.INELIGIBLE
            )
            for row in rows
        ],
        seats=[Seat.from_json(value) for value in draw["seats"] or []],
        recorded={row["id"]: row["slot_id"] for row in rows},
    )


async def replay(conn: AsyncConnection, draw_id: int) -> ReplayRecord:
    given = await inputs(conn, draw_id)
    return ReplayRecord(
        draw_id=draw_id,
        seed=given.seed,
        replayed=assign(given.seed, given.entrants, given.seats),
        recorded=given.recorded,
    )
