"""What catalogue operations return: plain rows, mapped to GraphQL types by schema/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from models.catalogue import ChallengePolicy, ReleasePolicy, offices, services
from resolvers.rows import record_columns


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
    # citizens may join the line from home (joinQueue), told to come in this many places from the front
    remote_queue: bool = False
    remote_head_in_places: int = 3


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
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeskRecord:
    id: int
    office_id: int
    name: str


# an office or a service as every reader selects it: the record's columns of its table
OFFICE = select(*record_columns(OfficeRecord, offices))
SERVICE = select(*record_columns(ServiceRecord, services))
