"""What a citizen's mail says, read in one statement: the booking, its office and service as they are now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import BookingStatus


@dataclass(frozen=True, slots=True)
class BookingFacts:
    id: int
    code: str
    status: BookingStatus
    starts_at: datetime
    ends_at: datetime
    citizen_name: str
    citizen_email: str | None
    citizen_locale: str
    manage_nonce: bytes
    office_name: str
    office_address: str | None
    timezone: str
    service_name: str
    required_documents: list[str]
    # PENDING only: the confirmation deadline
    confirm_by: datetime | None
    # reschedules so far: the calendar file's SEQUENCE, so calendars replace the event rather than add one
    revision: int
    # the citizen and their companions: the mail says how many people the appointment is for
    party_size: int = 1

    @classmethod
    def from_row(cls, row: Any) -> BookingFacts:
        values = {name: row[name] for name in cls.__slots__}
        return cls(
            **values
            | {
                "status": BookingStatus(row["status"]),
                "manage_nonce": bytes(row["manage_nonce"]),
                "required_documents": list(row["required_documents"] or []),
            }
        )


# A ticket, when given, names the office and service actually visited (a transfer may have moved the citizen).
_FACTS = text("""
    SELECT b.id, b.code, b.status::text AS status, b.starts_at, b.ends_at, b.citizen_name, b.citizen_email,
           b.citizen_locale, b.manage_nonce, b.confirm_by, o.name AS office_name, o.address AS office_address,
           o.timezone, b.party_size,
           s.name AS service_name, s.required_documents,
           (SELECT greatest(count(*) - 1, 0) FROM booking_events e
            WHERE e.booking_id = b.id AND e.status = 'BOOKED') AS revision
    FROM bookings b
    LEFT JOIN tickets t ON t.id = :ticket_id AND t.booking_id = b.id
    JOIN offices o ON o.id = coalesce(t.office_id, b.office_id)
    JOIN services s ON s.id = coalesce(t.service_id, b.service_id)
    WHERE b.id = :booking_id
""")


async def booking_facts(conn: AsyncConnection, booking_id: int, ticket_id: int | None = None) -> BookingFacts | None:
    row = (await conn.execute(_FACTS, {"booking_id": booking_id, "ticket_id": ticket_id})).mappings().first()
    return BookingFacts.from_row(row) if row is not None else None
