"""Visit facts: every booking and every ticket as one narrow row, with its office-local day and hour;
and their counts per office, procedure, local day and hour (visit_counts), kept with them.

`stats` reads only these two (and unmet_searches), so a year of a city answers without converting time
zones or joining five tables per row, and its counts add up a quarter as many rows as there are facts.
A refresh upserts the facts of everything anchored at or after `since` and writes only the rows whose
figures changed (and the counts of the office-days they are or were on), so it is cheap to run often:

- the worker refreshes the last two days and everything ahead (future bookings) every 5 minutes,
  and the last 35 days nightly (late no-shows, ratings given days after the visit);
- a stats query whose period reaches today refreshes yesterday to tomorrow first, so today is current.

A refresh that changes a fact also deletes, in its own transaction, every kept `stats` answer
(stats_answers, resolvers/analytics/answers.py) whose days include a day it touched, and counts itself in
stats_facts_generation: no kept answer outlives a change of its facts.

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

from sqlalchemy import func, select, text
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

# Native: data-modifying CTEs (an upsert that writes only the rows whose figures changed, and reports the
# office-days it touched) in one statement over every booking and ticket of the period.
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
-- where a fact that moves (a booking to another day or office) was: its old day's counts change too
moved AS (
    SELECT v.office_id, v.local_date
    FROM visit_facts v JOIN facts f ON f.kind = v.kind AND f.source_id = v.source_id
    WHERE (v.office_id, v.local_date) IS DISTINCT FROM (f.office_id, f.local_date)
),
written AS (
    INSERT INTO visit_facts AS v ({", ".join(_COLUMNS)})
    SELECT {", ".join(_COLUMNS)} FROM facts
    ORDER BY kind, source_id
    ON CONFLICT (kind, source_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[2:])}
    WHERE ({", ".join(f"v.{c}" for c in _COLUMNS[2:])})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _COLUMNS[2:])})
    RETURNING office_id, local_date
),
touched AS (SELECT office_id, local_date FROM written UNION SELECT office_id, local_date FROM moved)
SELECT (SELECT count(*) FROM written) AS changed,
       coalesce(array_agg(office_id), '{{}}') AS office_ids, coalesce(array_agg(local_date), '{{}}') AS local_dates
FROM touched
""")

# The hourly counts of visit_counts (column -> how it counts the facts): integers only, so that any set of
# hours adds up to the counts of its facts, and every average is a sum over a count (stats_sql reads them).
_COUNTED = {
    "booked": "count(*) FILTER (WHERE booked)",
    "cancelled": "count(*) FILTER (WHERE cancelled)",
    "came": "count(*) FILTER (WHERE came)",
    "no_shows": "count(*) FILTER (WHERE no_show)",
    "walk_ins": "count(*) FILTER (WHERE walk_in)",
    "served": "count(*) FILTER (WHERE served)",
    "rating_count": "count(rating)",
    "rating_sum": "coalesce(sum(rating), 0)",
    **{f"rating_{n}": f"count(*) FILTER (WHERE rating = {n})" for n in range(1, 6)},
    # estimate honesty: the tickets that were given an estimate and then called
    "estimate_count": "count(*) FILTER (WHERE estimated_wait_minutes IS NOT NULL AND called_after_seconds IS NOT NULL)",
    "estimate_minutes_sum": "coalesce(sum(estimated_wait_minutes) FILTER (WHERE called_after_seconds IS NOT NULL), 0)",
    "called_after_seconds_sum": (
        "coalesce(sum(called_after_seconds) FILTER (WHERE estimated_wait_minutes IS NOT NULL), 0)"
    ),
    "estimate_error_seconds_sum": "coalesce(sum(abs(called_after_seconds - 60 * estimated_wait_minutes)), 0)",
}
COUNT_COLUMNS = tuple(_COUNTED)
COUNTS_OF_FACTS = ", ".join(f"{counted} AS {column}" for column, counted in _COUNTED.items())
_DAYS = "unnest(CAST(:office_ids AS bigint[]), CAST(:local_dates AS date[])) AS d(office_id, local_date)"
# Native: the office-days as two unnested arrays, and the counts as FILTER aggregates shared with stats_sql.
_CLEAR_COUNTS = text(f"""
DELETE FROM visit_counts c USING {_DAYS} WHERE c.office_id = d.office_id AND c.local_date = d.local_date
""")
_COUNT = text(f"""
INSERT INTO visit_counts (office_id, service_id, local_date, local_hour, {", ".join(COUNT_COLUMNS)})
SELECT f.office_id, f.service_id, f.local_date, f.local_hour, {COUNTS_OF_FACTS}
FROM visit_facts f JOIN {_DAYS} ON f.office_id = d.office_id AND f.local_date = d.local_date
GROUP BY f.office_id, f.service_id, f.local_date, f.local_hour
""")


# Native: the touched days as an unnested array, matched against each kept answer's span.
_FORGET_ANSWERS = text("""
DELETE FROM stats_answers a
WHERE EXISTS (SELECT 1 FROM unnest(CAST(:local_dates AS date[])) AS d(day)
              WHERE d.day BETWEEN a.date_from AND a.date_to)
""")
# taken before the answers are deleted: an answer being stored waits for this transaction (answers.py)
_NEXT_GENERATION = text("""
INSERT INTO stats_facts_generation (id, generation) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET generation = stats_facts_generation.generation + 1
""")


async def refresh_facts(
    conn: AsyncConnection, since: datetime, until: datetime | None = None, office_ids: list[int] | None = None
) -> int:
    """Brings the facts of everything anchored in [since, until) (at these offices, else all) up to date;
    how many rows changed.

    Run it inside a transaction: the advisory lock is held until that transaction ends.
    """
    await conn.execute(select(func.pg_advisory_xact_lock(REFRESH_LOCK)))
    result = (await conn.execute(_REFRESH, {"since": since, "until": until, "offices": office_ids})).one()
    if result.changed:
        # the hourly counts of every office-day a changed fact is or was on, counted again from its facts
        days = {"office_ids": result.office_ids, "local_dates": result.local_dates}
        await conn.execute(_CLEAR_COUNTS, days)
        await conn.execute(_COUNT, days)
        await conn.execute(_NEXT_GENERATION)
        await conn.execute(_FORGET_ANSWERS, {"local_dates": result.local_dates})
    changed: int = result.changed
    return changed
