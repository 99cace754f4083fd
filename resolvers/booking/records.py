from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.errors import DomainError, ErrorCode
from core.messages import Message
from models.booking import BookingStatus, Channel, bookings
from models.catalogue import offices
from resolvers.agenda.records import SlotRecord


@dataclass(frozen=True, slots=True)
class BookingRecord:
    id: int
    code: str
    status: BookingStatus
    slot_id: int
    office_id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    channel: Channel
    citizen_name: str
    citizen_email: str | None
    citizen_phone: str | None
    citizen_locale: str
    document_hint: str
    notes: str | None
    created_at: datetime
    partner_id: int | None
    manage_nonce: bytes
    timezone: str
    # PENDING only: when its seat returns unless confirmed
    confirm_by: datetime | None = None
    # the holder and their companions: as many seats of the slot
    party_size: int = 1


@dataclass(frozen=True, slots=True)
class BookingEventRecord:
    booking_id: int
    at: datetime
    status: BookingStatus
    channel: Channel | None
    note: str | None


@dataclass(frozen=True, slots=True)
class ConfirmationRecord:
    booking: BookingRecord
    manage_token: str


class SlotUnavailableError(DomainError):
    """The slot cannot be booked (full, closed, past, outside the window); the nearest free ones instead."""

    def __init__(self, code: ErrorCode, message: str | Message, alternatives: list[SlotRecord]) -> None:
        super().__init__(message)
        self.code = code
        self.alternatives = alternatives


# a booking as every reader sees it: its own columns and its office's time zone (for the times it shows)
BOOKING = select(
    *(bookings.c[field.name] for field in dataclasses.fields(BookingRecord) if field.name != "timezone"),
    offices.c.timezone,
).select_from(bookings.join(offices, offices.c.id == bookings.c.office_id))
