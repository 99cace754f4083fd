"""A desk's day sheet: the appointments its services have at its office on one local day, for the clerk
(CSV to print, .ics for a calendar). Staff of that office (CLERK, MANAGER) and ADMIN only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.validation import parse_id
from models.accounts import Role
from resolvers.accounts.viewer import Viewer


@dataclass(frozen=True, slots=True)
class SheetEntry:
    booking_id: int
    starts_at: datetime
    ends_at: datetime
    service_name: str
    code: str
    citizen_name: str
    document_hint: str
    status: str
    ticket_number: str | None


@dataclass(frozen=True, slots=True)
class DaySheet:
    desk_name: str
    office_name: str
    office_address: str | None
    timezone: str
    day: date
    entries: tuple[SheetEntry, ...]


_DESK = text("""
    SELECT d.id, d.name, o.id AS office_id, o.name AS office_name, o.address, o.timezone
    FROM desks d JOIN offices o ON o.id = d.office_id WHERE d.id = :desk
""")

# the day's bounds in the office's zone, a day wider in UTC so the index on (office, start) narrows it
_ENTRIES = text("""
    SELECT b.id, b.starts_at, b.ends_at, s.name AS service_name, b.code, b.citizen_name, b.document_hint,
           CAST(b.status AS text) AS status, t.number AS ticket_number
    FROM bookings b
    JOIN services s ON s.id = b.service_id
    JOIN offices o ON o.id = b.office_id
    LEFT JOIN tickets t ON t.booking_id = b.id AND t.previous_ticket_id IS NULL
    WHERE b.office_id = :office
      AND b.service_id IN (SELECT ds.service_id FROM desk_services ds WHERE ds.desk_id = :desk)
      AND b.status <> 'CANCELLED'
      AND b.starts_at >= CAST(:day AS date) - 1 AND b.starts_at < CAST(:day AS date) + 2
      AND CAST(b.starts_at AT TIME ZONE o.timezone AS date) = :day
    ORDER BY b.starts_at, b.id
""")


async def day_sheet(conn: AsyncConnection, viewer: Viewer, desk_id: str, day: date) -> DaySheet:
    desk_number = parse_id(desk_id)
    desk = (await conn.execute(_DESK, {"desk": desk_number})).mappings().one_or_none() if desk_number else None
    if desk is None:
        raise ValidationFailed("deskId", "No desk has this ID.")
    viewer.require_role(desk["office_id"], Role.CLERK, Role.MANAGER)
    rows = await conn.execute(_ENTRIES, {"office": desk["office_id"], "desk": desk["id"], "day": day})
    entries = tuple(
        SheetEntry(
            booking_id=row["id"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            service_name=row["service_name"],
            code=row["code"],
            citizen_name=row["citizen_name"],
            document_hint=row["document_hint"],
            status=row["status"],
            ticket_number=row["ticket_number"],
        )
        for row in rows.mappings()
    )
    return DaySheet(desk["name"], desk["office_name"], desk["address"], desk["timezone"], day, entries)
