"""Replaying a past draw from its seed: the stored seats and the entries (their preferences, and whether each
person could still book, which the draw recorded as INELIGIBLE) run through the same pure assignment, and the
answer is compared with what the draw gave. `python main.py replay-draw DRAW_ID` prints it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotFoundError
from resolvers.availability.preferences import Preferences
from resolvers.draws.assignment import Entrant, Seat, assign


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    draw_id: int
    seed: bytes
    replayed: list[tuple[int, int | None]]  # in the draw's order
    recorded: dict[int, int | None]  # entry id: the slot it won, as stored

    @property
    def matches(self) -> bool:
        return dict(self.replayed) == self.recorded


_DRAW = text("SELECT status::text AS status, seed, seats FROM draws WHERE id = :id")
# every entry that was in the draw when it ran: all but those withdrawn before
_ENTRIES = text("""
    SELECT id, office_ids, from_date, to_date, weekdays, earliest, latest, status::text AS status, slot_id
    FROM draw_entries WHERE draw_id = :id AND status <> 'WITHDRAWN' ORDER BY id
""")


@dataclass(frozen=True, slots=True)
class DrawInputs:
    seed: bytes
    entrants: list[Entrant]
    seats: list[Seat]
    recorded: dict[int, int | None]


async def inputs(conn: AsyncConnection, draw_id: int) -> DrawInputs:
    """What the draw was run on, as stored: NotFound, or InvalidState before it has run."""
    draw = (await conn.execute(_DRAW, {"id": draw_id})).mappings().first()
    if draw is None:
        raise NotFoundError("No draw has this ID.")
    if draw["status"] != "DRAWN" or draw["seed"] is None:
        raise InvalidStateError("This draw has not been drawn yet.")
    rows = list((await conn.execute(_ENTRIES, {"id": draw_id})).mappings())
    return DrawInputs(
        seed=bytes(draw["seed"]),
        entrants=[
            Entrant(row["id"], Preferences.from_row(row), eligible=row["status"] != "INELIGIBLE") for row in rows
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
