"""The draw itself, as a pure function: a seed, the entries and the free seats give who gets which seat.

Nothing here reads the database or the clock, so that a past draw is replayed from its logged seed, its stored
seats and its entries (resolvers/draws/replay.py) and must give the very same answer. The order: the entries by
id, shuffled by random.Random(seed) (Python's Mersenne Twister seeded from the bytes, stable across versions);
each in turn gets the earliest free seat that suits its preferences, or nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolvers.availability.preferences import Preferences


@dataclass(frozen=True, slots=True)
class Seat:
    """A slot's free seats as drawn: `seats` of them (the ones kept for the phone line and desk excluded)."""

    slot_id: int
    office_id: int
    starts_at: datetime  # the instant: what "earliest" orders by
    local_start: datetime  # the office's wall clock: what preferences are about
    seats: int

    def as_json(self) -> dict[str, Any]:
        return {
            "slot_id": self.slot_id,
            "office_id": self.office_id,
            "starts_at": self.starts_at.isoformat(),
            "local_start": self.local_start.isoformat(),
            "seats": self.seats,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Seat:
        return cls(
            slot_id=int(value["slot_id"]),
            office_id=int(value["office_id"]),
            starts_at=datetime.fromisoformat(value["starts_at"]),
            local_start=datetime.fromisoformat(value["local_start"]),
            seats=int(value["seats"]),
        )


@dataclass(frozen=True, slots=True)
class Entrant:
    entry_id: int
    preferences: Preferences
    eligible: bool = True  # False: already held the procedure's most bookings; drawn, but given nothing


def draw_order(seed: bytes, entry_ids: Sequence[int]) -> list[int]:
    order = sorted(entry_ids)
    random.Random(seed).shuffle(order)
    return order


def assign(seed: bytes, entrants: Sequence[Entrant], seats: Sequence[Seat]) -> list[tuple[int, int | None]]:
    """(entry id, slot id or None) for every entrant, in the draw's order."""
    by_id = {entrant.entry_id: entrant for entrant in entrants}
    ordered = sorted(seats, key=lambda seat: (seat.starts_at, seat.office_id, seat.slot_id))
    left = {seat.slot_id: seat.seats for seat in ordered}
    result: list[tuple[int, int | None]] = []
    for entry_id in draw_order(seed, list(by_id)):
        entrant = by_id[entry_id]
        won: int | None = None
        if entrant.eligible:
            for seat in ordered:
                if left[seat.slot_id] > 0 and entrant.preferences.suits(seat.office_id, seat.local_start):
                    won = seat.slot_id
                    left[seat.slot_id] -= 1
                    break
        result.append((entry_id, won))
    return result
