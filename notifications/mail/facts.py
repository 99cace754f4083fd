"""What a citizen's mail says about a booking: the booking, its office and service as they are now (read by
resolvers/outbox/mail.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
