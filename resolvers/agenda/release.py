"""Slot release: agendas become slots, in the office's wall-clock time, up to each service's booking window.

One INSERT … SELECT does it all in the database: days from generate_series, wall-clock starts
converted with AT TIME ZONE, and ON CONFLICT DO NOTHING on (office, service, start), so running it
again, or twice at once, creates nothing new. A service whose releasePolicy is DRAW gets an open draw first,
and its new slots are marked with it: hidden until drawn (resolvers/draws).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotAllowedError
from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.agenda import release_windows
from resolvers.agenda.records import ReleaseReportRecord
from resolvers.catalogue.lookups import require_office

_RELEASE = text("""
WITH wanted AS (
    SELECT a.id AS agenda_id, a.office_id, a.service_id, a.capacity, a.slot_minutes, o.timezone,
           local_start
    FROM agendas a
    JOIN offices o ON o.id = a.office_id
    JOIN services s ON s.id = a.service_id
    CROSS JOIN LATERAL (SELECT CAST(now() AT TIME ZONE o.timezone AS date) AS today) AS local
    CROSS JOIN LATERAL generate_series(
        -- from_day (the demo's history only) starts in the past, whatever the agenda's validity
        CAST(coalesce(CAST(:from_day AS date), greatest(a.valid_from, local.today)) AS timestamp),
        CAST(least(a.valid_to, local.today + s.booking_window_days, CAST(:until AS date)) AS timestamp),
        interval '1 day') AS d(day)
    CROSS JOIN LATERAL generate_series(
        d.day + a.start_time,
        d.day + a.end_time - make_interval(mins => a.slot_minutes),
        make_interval(mins => a.slot_minutes)) AS t(local_start)
    WHERE (CAST(:office_id AS bigint) IS NULL OR a.office_id = :office_id)
      AND CAST(extract(isodow FROM d.day) AS smallint) = ANY(a.weekdays)
      AND NOT EXISTS (SELECT 1 FROM closures c
                      WHERE c.date = CAST(d.day AS date) AND (c.office_id IS NULL OR c.office_id = a.office_id))
      AND (NOT EXISTS (SELECT 1 FROM opening_hours h WHERE h.office_id = a.office_id)
           OR EXISTS (SELECT 1 FROM opening_hours h
                      WHERE h.office_id = a.office_id
                        AND h.weekday = extract(isodow FROM d.day)
                        AND h.opens <= CAST(t.local_start AS time)
                        AND CAST(t.local_start + make_interval(mins => a.slot_minutes) AS time) <= h.closes))
      -- a wall-clock time skipped by a DST change does not survive the round trip: no slot for it
      AND (t.local_start AT TIME ZONE o.timezone) AT TIME ZONE o.timezone = t.local_start
      AND (CAST(:from_day AS date) IS NOT NULL OR t.local_start AT TIME ZONE o.timezone > now())
),
inserted AS (
    INSERT INTO slots (office_id, service_id, agenda_id, starts_at, ends_at, capacity, draw_id)
    SELECT office_id, service_id, agenda_id, local_start AT TIME ZONE timezone,
           (local_start AT TIME ZONE timezone) + make_interval(mins => slot_minutes), capacity,
           -- a DRAW service's new seats go to its open draw (resolvers/agenda/release_windows.py opened it)
           CASE WHEN CAST(:from_day AS date) IS NULL THEN
               (SELECT d.id FROM draws d WHERE d.service_id = wanted.service_id AND d.status = 'OPEN') END
    FROM wanted
    ON CONFLICT (office_id, service_id, starts_at) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS created, (SELECT count(*) FROM wanted) AS wanted
""")


async def release(
    conn: AsyncConnection, office_id: int | None, until: date | None, *, from_day: date | None = None
) -> ReleaseReportRecord:
    """Slots up to `until` (else each service's window). `from_day` makes past days' slots too: only the
    demo's simulated history (demo/history.py) asks for it."""
    params = {"office_id": office_id, "until": until, "from_day": from_day}
    opened = await release_windows.open_draws(conn, office_id) if from_day is None else []
    row = (await conn.execute(_RELEASE, params)).mappings().one()
    await release_windows.drop_empty(conn, opened)
    return ReleaseReportRecord(created=row["created"], unchanged=row["wanted"] - row["created"])


async def release_slots(
    conn: AsyncConnection, viewer: Viewer, office_id: str | None, until: date | None
) -> ReleaseReportRecord:
    if office_id is None:
        viewer.require_admin()
        return await release(conn, None, until)
    if not viewer.is_staff:
        raise NotAllowedError("Only staff may release slots.")
    office = await require_office(conn, "officeId", office_id)
    viewer.require_role(office.id, Role.MANAGER)
    return await release(conn, office.id, until)
