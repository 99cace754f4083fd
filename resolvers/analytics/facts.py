"""Visit facts: every booking and every ticket as one narrow row, with its office-local day and hour.

The stats query reads only this table (and unmet_searches), so a year of a city answers without
converting time zones or joining five tables per row. A refresh upserts the facts of everything anchored
at or after `since` and writes only the rows whose figures changed, so it is cheap to run often:

- the worker refreshes the last two days and everything ahead (future bookings) every 5 minutes,
  and the last 35 days nightly (late no-shows, ratings given days after the visit);
- a stats query whose period reaches today refreshes yesterday to tomorrow first, so today is current.

Definitions (docs/architecture.md, "Analytics"):
- a booking is anchored at its appointment; a ticket where its wait began: its issue, or its
  appointment's start if the citizen came early (a ticket issued up to a day before `since` is looked at);
- wait = first call - max(issue, appointment start): an early arrival's time before their slot is not
  the office's wait; estimate honesty compares the estimate given at issue with first call - issue;
- service time = finished - started, of tickets DONE;
- lead time = appointment start - booking made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# one refresh at a time: two would upsert the same rows and could deadlock on their order
REFRESH_LOCK = 0x7475726E65726F01

FIGURES = (
    "booked",
    "cancelled",
    "came",
    "no_show",
    "walk_in",
    "served",
    "lead_seconds",
    "wait_seconds",
    "service_seconds",
    "estimated_wait_minutes",
    "called_after_seconds",
    "rating",
)
_COLUMNS = ("kind", "source_id", "office_id", "service_id", "at", "local_date", "local_hour", *FIGURES)

_REFRESH = text(f"""
WITH first_calls AS (
    SELECT e.ticket_id, min(e.at) AS at
    FROM queue_events e JOIN tickets t ON t.id = e.ticket_id
    WHERE t.issued_at >= CAST(:since AS timestamptz) - interval '1 day'
      AND (CAST(:until AS timestamptz) IS NULL OR t.issued_at < :until)
      AND (CAST(:offices AS bigint[]) IS NULL OR t.office_id = ANY(:offices))
      AND e.type = 'CALLED'
    GROUP BY e.ticket_id
),
facts AS (
    SELECT 'B' AS kind, b.id AS source_id, b.office_id, b.service_id, b.starts_at AS at,
           CAST(b.starts_at AT TIME ZONE o.timezone AS date) AS local_date,
           CAST(extract(hour FROM b.starts_at AT TIME ZONE o.timezone) AS smallint) AS local_hour,
           b.status <> 'CANCELLED' AS booked,
           b.status = 'CANCELLED' AS cancelled,
           b.status IN ('CHECKED_IN', 'COMPLETED') AS came,
           b.status = 'NO_SHOW' AS no_show,
           false AS walk_in,
           false AS served,
           CAST(round(extract(epoch FROM b.starts_at - b.created_at)) AS integer) AS lead_seconds,
           CAST(NULL AS integer) AS wait_seconds,
           CAST(NULL AS integer) AS service_seconds,
           CAST(NULL AS integer) AS estimated_wait_minutes,
           CAST(NULL AS integer) AS called_after_seconds,
           CAST(NULL AS smallint) AS rating
    FROM bookings b JOIN offices o ON o.id = b.office_id
    WHERE b.starts_at >= :since AND (CAST(:until AS timestamptz) IS NULL OR b.starts_at < :until)
      AND (CAST(:offices AS bigint[]) IS NULL OR b.office_id = ANY(:offices))
    UNION ALL
    SELECT 'T', t.id, t.office_id, t.service_id, w.began,
           CAST(w.began AT TIME ZONE o.timezone AS date),
           CAST(extract(hour FROM w.began AT TIME ZONE o.timezone) AS smallint),
           false, false, false, false,
           -- a transfer continues a visit: only the first ticket of a citizen without a booking is a walk-in
           t.booking_id IS NULL AND t.previous_ticket_id IS NULL,
           t.status = 'DONE',
           NULL,
           -- greatest() skips NULLs: a ticket never called has no wait, not a wait of 0
           CASE WHEN coalesce(fc.at, t.called_at) IS NOT NULL THEN
               CAST(round(extract(epoch FROM greatest(coalesce(fc.at, t.called_at) - w.began, interval '0')))
                    AS integer)
           END,
           CASE WHEN t.status = 'DONE' THEN CAST(round(extract(epoch FROM t.finished_at - t.started_at)) AS integer)
           END,
           t.estimated_wait_minutes,
           CAST(round(extract(epoch FROM coalesce(fc.at, t.called_at) - t.issued_at)) AS integer),
           f.rating
    FROM tickets t
    JOIN offices o ON o.id = t.office_id
    LEFT JOIN bookings b ON b.id = t.booking_id
    LEFT JOIN first_calls fc ON fc.ticket_id = t.id
    LEFT JOIN feedback f ON f.ticket_id = t.id
    CROSS JOIN LATERAL (SELECT greatest(t.issued_at, coalesce(b.starts_at, t.issued_at)) AS began) AS w
    WHERE t.issued_at >= CAST(:since AS timestamptz) - interval '1 day'
      AND (CAST(:until AS timestamptz) IS NULL OR t.issued_at < :until)
      AND (CAST(:offices AS bigint[]) IS NULL OR t.office_id = ANY(:offices))
),
written AS (
    INSERT INTO visit_facts AS v ({", ".join(_COLUMNS)})
    SELECT {", ".join(_COLUMNS)} FROM facts
    ORDER BY kind, source_id
    ON CONFLICT (kind, source_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[2:])}
    WHERE ({", ".join(f"v.{c}" for c in _COLUMNS[2:])})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _COLUMNS[2:])})
    RETURNING 1
)
SELECT count(*) FROM written
""")


async def refresh_facts(
    conn: AsyncConnection, since: datetime, until: datetime | None = None, office_ids: list[int] | None = None
) -> int:
    """Brings the facts of everything anchored in [since, until) (at these offices, else all) up to date;
    how many rows changed.

    Run it inside a transaction: the advisory lock is held until that transaction ends.
    """
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})
    changed: int = (await conn.execute(_REFRESH, {"since": since, "until": until, "offices": office_ids})).scalar_one()
    return changed
