"""What a citizen can book: free slots by office and day, and the soonest free slots anywhere.

Hot path: both read only the partial index of slots with a free seat (ix_slots_free_by_service). The statements
stay native SQL: `bookable` is the free-seat rule the seat-taking statements share (resolvers/booking/seats.py),
written to match that partial index, and the benchmarked reads are shaped around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest
from core.validation import parse_id
from resolvers.agenda.records import LAPSE_GRACE_SECONDS, RESERVED_SEATS, SLOT_COLUMNS, SlotRecord, held_seats
from resolvers.analytics.unmet import Searcher, record_unmet_search
from resolvers.rows import record_from_row, records_from_rows

MAX_RANGE_DAYS = 92
MAX_EARLIEST = 100


def bookable(clock: str = "now()", seats: str | None = None) -> str:
    """A slot a caller can book now: free, open, in the future and inside its service's booking window.

    Free counts bookings and live holds (`clock`: see held_seats); the seats kept for the phone line and the
    desk count as taken unless the statement's `:with_reserved` says the caller books by PHONE or DESK.
    `booked < capacity` repeats what the sum says so that the partial index of free slots is used.
    `seats`: an SQL expression for how many seats must be free (a party's), else one. A slot
    released to a draw (`draw_id`) is nobody's to take until the draw has run (resolvers/draws/run.py).
    """
    fits = "< sl.capacity" if seats is None else f"+ {seats} <= sl.capacity"
    return f"""
    FROM slots sl
    JOIN offices o ON o.id = sl.office_id
    JOIN services s ON s.id = sl.service_id
    WHERE sl.service_id = :service_id AND sl.booked < sl.capacity AND NOT sl.closed AND sl.draw_id IS NULL
      AND sl.starts_at > now() AND sl.starts_at <= now() + make_interval(days => s.booking_window_days)
      AND sl.booked + {held_seats(clock)}
          + CASE WHEN CAST(:with_reserved AS boolean) THEN 0 ELSE {RESERVED_SEATS} END {fits}
"""


BOOKABLE = bookable()

# The UTC bounds (a day wider on each side) let the index narrow the range; the local-date test is exact.
_AVAILABILITY = text(f"""
    SELECT {SLOT_COLUMNS}, CAST(sl.starts_at AT TIME ZONE o.timezone AS date) AS local_date
    {BOOKABLE}
      AND (CAST(:office_id AS bigint) IS NULL OR sl.office_id = :office_id)
      AND sl.starts_at >= CAST(:date_from AS date) - 1 AND sl.starts_at < CAST(:date_to AS date) + 2
      AND CAST(sl.starts_at AT TIME ZONE o.timezone AS date) BETWEEN :date_from AND :date_to
    ORDER BY o.name, sl.office_id, sl.starts_at
""")

_EARLIEST = text(f"""
    SELECT {SLOT_COLUMNS} {BOOKABLE}
    ORDER BY sl.starts_at, sl.office_id
    LIMIT :limit
""")

# The soonest free slot at each office: nearest office first when a point is given (haversine, km),
# else soonest first.
_SOONEST_PER_OFFICE = text(f"""
    SELECT * FROM (
        SELECT DISTINCT ON (sl.office_id) {SLOT_COLUMNS},
               6371 * 2 * asin(sqrt(
                   power(sin(radians(o.latitude - CAST(:lat AS float8)) / 2), 2)
                   + cos(radians(CAST(:lat AS float8))) * cos(radians(o.latitude))
                     * power(sin(radians(o.longitude - CAST(:lon AS float8)) / 2), 2))) AS distance_km
        {BOOKABLE}
        ORDER BY sl.office_id, sl.starts_at
    ) AS soonest
    ORDER BY distance_km NULLS LAST, starts_at, office_id
    LIMIT :limit
""")


@dataclass(frozen=True, slots=True)
class AvailabilityDayRecord:
    date: date
    office_id: int
    slots: tuple[SlotRecord, ...]
    with_reserved: bool = False

    @property
    def remaining(self) -> int:
        return sum(slot.remaining_for(self.with_reserved) for slot in self.slots)


async def availability(
    conn: AsyncConnection,
    searcher: Searcher,
    service_id: str,
    date_from: date,
    date_to: date,
    office_id: str | None,
    *,
    with_reserved: bool = False,
) -> list[AvailabilityDayRecord]:
    """with_reserved: the caller is staff, who book by PHONE or DESK and may take the seats kept for them."""
    if date_to < date_from:
        raise BadRequest("to", "`to` must not be before `from`.")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise BadRequest("to", f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    service = parse_id(service_id)
    office = parse_id(office_id) if office_id is not None else None
    if service is None or (office_id is not None and office is None):
        return []
    rows = await conn.execute(
        _AVAILABILITY,
        {
            "service_id": service,
            "office_id": office,
            "date_from": date_from,
            "date_to": date_to,
            "with_reserved": with_reserved,
        },
    )
    days: dict[tuple[int, date], list[SlotRecord]] = {}
    for row in rows.mappings():
        days.setdefault((row["office_id"], row["local_date"]), []).append(record_from_row(SlotRecord, row))
    if not days:
        await record_unmet_search(conn, searcher, service, office)
    return [
        AvailabilityDayRecord(date=day, office_id=office_key, slots=tuple(slots), with_reserved=with_reserved)
        for (office_key, day), slots in days.items()
    ]


async def earliest_slots(
    conn: AsyncConnection,
    searcher: Searcher,
    service_id: str,
    limit: int,
    *,
    one_per_office: bool = False,
    near: tuple[float, float] | None = None,
    with_reserved: bool = False,
) -> list[SlotRecord]:
    if not 1 <= limit <= MAX_EARLIEST:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_EARLIEST}.")
    service = parse_id(service_id)
    if service is None:
        return []
    latitude, longitude = near if near is not None else (None, None)
    if near is not None and not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180):
        raise BadRequest("near", "near must be a latitude in -90..90 and a longitude in -180..180.")
    query = _SOONEST_PER_OFFICE if one_per_office or near is not None else _EARLIEST
    rows = await conn.execute(
        query,
        {"service_id": service, "limit": limit, "lat": latitude, "lon": longitude, "with_reserved": with_reserved},
    )
    slots = records_from_rows(SlotRecord, rows.mappings())
    if not slots:
        await record_unmet_search(conn, searcher, service, None)
    return slots


# When a cached answer (schema/availability_cache.py) stops being true without a write: the next moment a hold
# of these services stops counting (its end, or the end of its grace while someone waits: held_seats), counting
# one that ended while the answer was computed (`since`, a little early for clock skew: then nothing is kept), and
# the next free slot to start (it leaves the answer). Not followed: the reserved seats an agenda frees to anyone
# reserved_until_hours before a slot starts, and a booking window's edge moving; both show at most the TTL late.
_NEXT_CHANGE = text(f"""
    SELECT extract(epoch FROM least(
        (SELECT min(CASE WHEN h.expires_at > to_timestamp(:since) - interval '2 seconds' THEN h.expires_at
                         ELSE h.expires_at + make_interval(secs => {LAPSE_GRACE_SECONDS}) END)
           FROM slot_holds h JOIN slots sl ON sl.id = h.slot_id
          WHERE sl.service_id = ANY(:services)
            AND h.expires_at > to_timestamp(:since) - interval '2 seconds'
                               - make_interval(secs => {LAPSE_GRACE_SECONDS})),
        (SELECT min(sl.starts_at) FROM slots sl
          WHERE sl.service_id = ANY(:services) AND sl.booked < sl.capacity AND NOT sl.closed
            AND sl.starts_at > now())
    ) - now()) AS seconds
""")


async def seconds_until_change(conn: AsyncConnection, services: Sequence[int], since: float) -> float | None:
    """How long an answer about these services computed since `since` (epoch seconds) stays true without a
    write; None when nothing changes it by time (no hold, no free slot ahead)."""
    row = (await conn.execute(_NEXT_CHANGE, {"services": list(services), "since": since})).first()
    return float(row[0]) if row is not None and row[0] is not None else None
