"""When a DRAW service's seats are released and drawn: the draw a release opens, and the release calendar.

A release (the nightly job or `releaseSlots`) opens a draw for each DRAW service it may create slots of, unless
one is open already (then the new seats join it); a draw that got no new slot is dropped in the same transaction.
The draw takes entries for the service's drawMinutes; the draw job runs it at its close (resolvers/draws/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.catalogue import ReleasePolicy

# when the worker's nightly release runs (jobs/worker.py), UTC
NIGHTLY_RELEASE = time(2, 15)
MAX_WINDOWS = 4  # the open draws of a service (one at a time, but one may be closing) and the next release

_OPEN = text("""
    INSERT INTO draws (service_id, opens_at, closes_at)
    SELECT s.id, now(), now() + make_interval(mins => s.draw_minutes) FROM services s
    WHERE s.release_policy = 'DRAW'
      AND EXISTS (SELECT 1 FROM agendas a WHERE a.service_id = s.id
                  AND (CAST(:office_id AS bigint) IS NULL OR a.office_id = :office_id))
    ON CONFLICT (service_id) WHERE status = 'OPEN' DO NOTHING
    RETURNING id
""")
_DROP_EMPTY = text("""
    DELETE FROM draws d WHERE d.id = ANY(:ids) AND NOT EXISTS (SELECT 1 FROM slots sl WHERE sl.draw_id = d.id)
""")


async def open_draws(conn: AsyncConnection, office_id: int | None) -> list[int]:
    """A draw for each DRAW service this release may add slots to and that has none open: their ids."""
    return [int(number) for number in (await conn.execute(_OPEN, {"office_id": office_id})).scalars()]


async def drop_empty(conn: AsyncConnection, draw_ids: list[int]) -> None:
    """The draws just opened that the release gave no seat: nothing to draw."""
    if draw_ids:
        await conn.execute(_DROP_EMPTY, {"ids": draw_ids})


def next_release(now: datetime) -> datetime:
    """The nightly release after `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), NIGHTLY_RELEASE, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReleaseWindowRecord:
    releases_at: datetime
    policy: ReleasePolicy
    draw_id: int | None  # an open draw; None for a release still to come
    draw_closes_at: datetime | None  # under DRAW: entries until then
    entries_open: bool
    from_date: date | None  # the days released, as the offices' calendars have them
    to_date: date | None


_SERVICE = text("SELECT release_policy::text AS policy, draw_minutes, now() AS now FROM services WHERE id = :id")

# the open draws, with the days of their slots (the partial index of slots by draw)
_OPEN_DRAWS = text("""
    SELECT d.id, d.opens_at, d.closes_at, d.closes_at > now() AS entries_open, days.first, days.last
    FROM draws d
    CROSS JOIN LATERAL (
        SELECT min(CAST(sl.starts_at AT TIME ZONE o.timezone AS date)) AS first,
               max(CAST(sl.starts_at AT TIME ZONE o.timezone AS date)) AS last
        FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.draw_id = d.id
    ) AS days
    WHERE d.service_id = :id AND d.status = 'OPEN'
    ORDER BY d.closes_at, d.id
    LIMIT :limit
""")

# the day each office's nightly release adds: its local date then, plus the booking window
_NEXT_DAYS = text("""
    SELECT min(CAST(CAST(:at AS timestamptz) AT TIME ZONE o.timezone AS date) + s.booking_window_days) AS first,
           max(CAST(CAST(:at AS timestamptz) AT TIME ZONE o.timezone AS date) + s.booking_window_days) AS last
    FROM services s JOIN agendas a ON a.service_id = s.id JOIN offices o ON o.id = a.office_id
    WHERE s.id = :id AND (a.valid_to IS NULL OR a.valid_to >= CAST(CAST(:at AS timestamptz) AT TIME ZONE o.timezone
        AS date) + s.booking_window_days)
""")


async def calendar(conn: AsyncConnection, service_id: int) -> list[ReleaseWindowRecord]:
    """The open draws, then the next nightly release (when its days have agendas); [] for no such service."""
    service = (await conn.execute(_SERVICE, {"id": service_id})).mappings().first()
    if service is None:
        return []
    policy = ReleasePolicy(service["policy"])
    windows = [
        ReleaseWindowRecord(
            releases_at=row["opens_at"],
            policy=ReleasePolicy.DRAW,
            draw_id=row["id"],
            draw_closes_at=row["closes_at"],
            entries_open=row["entries_open"],
            from_date=row["first"],
            to_date=row["last"],
        )
        for row in (await conn.execute(_OPEN_DRAWS, {"id": service_id, "limit": MAX_WINDOWS - 1})).mappings()
    ]
    at = next_release(service["now"])
    days = (await conn.execute(_NEXT_DAYS, {"id": service_id, "at": at})).mappings().one()
    if days["first"] is not None:
        windows.append(
            ReleaseWindowRecord(
                releases_at=at,
                policy=policy,
                draw_id=None,
                draw_closes_at=at + timedelta(minutes=service["draw_minutes"])
                if policy is ReleasePolicy.DRAW
                else None,
                entries_open=False,
                from_date=days["first"],
                to_date=days["last"],
            )
        )
    return windows
