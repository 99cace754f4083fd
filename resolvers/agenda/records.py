from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from models.agenda import agendas
from resolvers.rows import record_columns


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
    reserved_seats: int
    reserved_until_hours: int


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
    held: int
    reserved: int

    @property
    def remaining(self) -> int:
        """What anyone may still take: the seats kept for the phone line and the desk are not among them."""
        return max(self.capacity - self.booked - self.held - self.reserved, 0)

    @property
    def remaining_with_reserved(self) -> int:
        """What a PHONE or DESK booking may still take."""
        return max(self.capacity - self.booked - self.held, 0)

    def remaining_for(self, with_reserved: bool) -> int:
        return self.remaining_with_reserved if with_reserved else self.remaining


@dataclass(frozen=True, slots=True)
class ReleaseReportRecord:
    created: int
    unchanged: int


AGENDA = select(*record_columns(AgendaRecord, agendas))


# resolvers/waitlist/lapsed_holds.py LAPSE_GRACE
LAPSE_GRACE_SECONDS = 60


def held_seats(clock: str = "now()") -> str:
    """Seats taken by live holds of slot `sl`: an expired hold gives its seat back by no longer being counted.

    `clock` is now() for reads; where a seat is taken under the slot's row lock it is clock_timestamp(), so a
    hold that expired while the lock was awaited is seen as expired by everyone after that moment.

    One exception: while someone waits for the slot's procedure, a citizen's hold (no document, not a
    re-release) that has just expired still counts for LAPSE_GRACE_SECONDS, until the lapsed-holds pass offers
    its seat to the waitlist first (resolvers/waitlist/lapsed_holds.py). The waitlist probe runs only for holds
    in that short window. A party's hold keeps several seats.
    """
    return f"""(SELECT coalesce(sum(h.seats), 0) FROM slot_holds h WHERE h.slot_id = sl.id
        AND h.expires_at > {clock} - make_interval(secs => {LAPSE_GRACE_SECONDS})
        AND (h.expires_at > {clock} OR (h.document_hash IS NULL AND NOT h.rerelease AND EXISTS (
            SELECT 1 FROM waitlist_entries w WHERE w.service_id = sl.service_id AND w.status = 'WAITING'))))"""


# Seats of slot `sl` its agenda still keeps for PHONE and DESK bookings: none from reserved_until_hours before
# the slot starts, when anyone may take them.
RESERVED_SEATS = """coalesce((SELECT ag.reserved_seats FROM agendas ag WHERE ag.id = sl.agenda_id
    AND sl.starts_at > now() + make_interval(hours => ag.reserved_until_hours)), 0)"""

SLOT_COLUMNS = (
    "sl.id, sl.office_id, sl.service_id, sl.starts_at, sl.ends_at, sl.capacity, sl.booked, o.timezone, "
    f"{held_seats()} AS held, {RESERVED_SEATS} AS reserved"
)
