"""An office's slots of one local day, full ones too, with where each seat is: what the staff console shows.

Availability lists only slots a caller could book; the console needs every slot and, for each, the seats
booked, held by citizens, offered to the waitlist, kept back for the re-release delay and kept for the phone
line and the desk. The first are the slot's own columns (SLOT_COLUMNS); the kinds of holds come per request
from one batched loader (dataloaders/booking.py HoldKindsBySlot), for staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, NotAllowedError, NotFoundError
from core.validation import parse_id
from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.rows import records_from_rows

MAX_OFFICE_DAY_SLOTS = 2_000

# The UTC bounds (a day wider on each side) let the (office, service, starts_at) index narrow the range; the
# local-date test is exact. Native SQL: a slot's held and reserved seats are SQL rules shared with the seat-taking
# statements (resolvers/agenda/records.py SLOT_COLUMNS).
_OFFICE_DAY = text(f"""
    SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id
    WHERE sl.office_id = :office_id
      AND sl.starts_at >= CAST(:day AS date) - 1 AND sl.starts_at < CAST(:day AS date) + 2
      AND CAST(sl.starts_at AT TIME ZONE o.timezone AS date) = :day
    ORDER BY sl.starts_at, sl.service_id
    LIMIT :limit
""")


@dataclass(frozen=True, slots=True)
class HoldKinds:
    """A slot's live holds that are not a citizen's own: offers to the waitlist and seats kept back."""

    offered: int = 0
    kept_back: int = 0


def sees_seats(viewer: Viewer, office_id: int) -> bool:
    """Who may see where a slot's seats are (offers, seats kept back): the office's staff. A seat kept back
    tells a watcher that a seat is about to come back, which the re-release delay exists to hide."""
    return viewer.has_role(office_id, Role.CLERK, Role.MANAGER, Role.OPERATOR)


async def office_slots(
    conn: AsyncConnection, viewer: Viewer, office_id: str, day: date, limit: int
) -> list[SlotRecord]:
    office = parse_id(office_id)
    if office is None:
        raise NotFoundError("No office has this ID.")
    if not sees_seats(viewer, office):
        raise NotAllowedError("Only the office's staff see its slots.")
    if not 1 <= limit <= MAX_OFFICE_DAY_SLOTS:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_OFFICE_DAY_SLOTS}.")
    rows = await conn.execute(_OFFICE_DAY, {"office_id": office, "day": day, "limit": limit})
    return records_from_rows(SlotRecord, rows.mappings())
