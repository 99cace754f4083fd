"""What catalogue operations return: plain rows, mapped to GraphQL types by schema/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from models.catalogue import ChallengePolicy, ReleasePolicy


@dataclass(frozen=True, slots=True)
class OfficeRecord:
    id: int
    slug: str
    name: str
    address: str | None
    timezone: str
    latitude: float | None
    longitude: float | None
    checkin_opens_minutes: int
    checkin_closes_minutes: int
    priority_head_start_minutes: int
    # how many people the premises may hold at once (fire safety); None: not set
    max_occupancy: int | None

    @classmethod
    def from_row(cls, row: Any) -> OfficeRecord:
        return cls(
            row["id"],
            row["slug"],
            row["name"],
            row["address"],
            row["timezone"],
            row["latitude"],
            row["longitude"],
            row["checkin_opens_minutes"],
            row["checkin_closes_minutes"],
            row["priority_head_start_minutes"],
            row["max_occupancy"],
        )


@dataclass(frozen=True, slots=True)
class OpeningHoursRecord:
    office_id: int
    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: int
    slug: str
    name: str
    description: str | None
    category: str | None
    duration_minutes: int
    required_documents: tuple[str, ...]
    walk_in_allowed: bool
    booking_window_days: int
    ticket_prefix: str
    max_active_bookings_per_citizen: int
    challenge_policy: ChallengePolicy
    confirmation_required: bool
    release_policy: ReleasePolicy
    draw_minutes: int
    max_party_size: int = 1

    @classmethod
    def from_row(cls, row: Any) -> ServiceRecord:
        return cls(
            row["id"],
            row["slug"],
            row["name"],
            row["description"],
            row["category"],
            row["duration_minutes"],
            tuple(row["required_documents"]),
            row["walk_in_allowed"],
            row["booking_window_days"],
            row["ticket_prefix"],
            row["max_active_bookings_per_citizen"],
            ChallengePolicy(row["challenge_policy"]),
            row["confirmation_required"],
            ReleasePolicy(row["release_policy"]),
            row["draw_minutes"],
            row["max_party_size"],
        )


@dataclass(frozen=True, slots=True)
class DeskRecord:
    id: int
    office_id: int
    name: str

    @classmethod
    def from_row(cls, row: Any) -> DeskRecord:
        return cls(row["id"], row["office_id"], row["name"])


OFFICE_COLUMNS = (
    "o.id, o.slug, o.name, o.address, o.timezone, o.latitude, o.longitude, "
    "o.checkin_opens_minutes, o.checkin_closes_minutes, o.priority_head_start_minutes, o.max_occupancy"
)
SERVICE_COLUMNS = (
    "s.id, s.slug, s.name, s.description, s.category, s.duration_minutes, s.required_documents, "
    "s.walk_in_allowed, s.booking_window_days, s.ticket_prefix, s.max_active_bookings_per_citizen, s.challenge_policy, "
    "s.confirmation_required, s.release_policy, s.draw_minutes, s.max_party_size"
)
