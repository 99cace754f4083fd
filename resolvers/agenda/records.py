from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any


@dataclass(frozen=True, slots=True)
class AgendaRecord:
    id: int
    office_id: int
    service_id: int
    weekdays: tuple[int, ...]
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date | None

    @classmethod
    def from_row(cls, row: Any) -> AgendaRecord:
        return cls(
            row["id"],
            row["office_id"],
            row["service_id"],
            tuple(row["weekdays"]),
            row["start_time"],
            row["end_time"],
            row["slot_minutes"],
            row["capacity"],
            row["valid_from"],
            row["valid_to"],
        )


@dataclass(frozen=True, slots=True)
class ClosureRecord:
    id: int
    office_id: int | None
    date: date
    reason: str | None
    slots_closed: int = 0
    bookings_cancelled: int = 0


@dataclass(frozen=True, slots=True)
class SlotRecord:
    id: int
    office_id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    timezone: str

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    @classmethod
    def from_row(cls, row: Any) -> SlotRecord:
        return cls(
            row["id"],
            row["office_id"],
            row["service_id"],
            row["starts_at"],
            row["ends_at"],
            row["capacity"],
            row["booked"],
            row["timezone"],
        )


@dataclass(frozen=True, slots=True)
class ReleaseReportRecord:
    created: int
    unchanged: int


AGENDA_COLUMNS = (
    "a.id, a.office_id, a.service_id, a.weekdays, a.start_time, a.end_time, a.slot_minutes, a.capacity, "
    "a.valid_from, a.valid_to"
)
SLOT_COLUMNS = "sl.id, sl.office_id, sl.service_id, sl.starts_at, sl.ends_at, sl.capacity, sl.booked, o.timezone"
