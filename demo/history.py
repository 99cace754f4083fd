"""`python main.py seed --demo --history DAYS`: simulated past days of the demo city, for the dashboard.

Set-based: each chunk of days is a handful of INSERT … SELECT statements (slots from the agendas, the
bookings of some seats, the tickets of those who came and of walk-ins, ratings, booking history), all
in one transaction: interrupted, it leaves nothing. A second run adds nothing (it says so). random() is
seeded, so the same days give the same city. `main.py demo` simulates a few offices only (those its staff
accounts work at, and a bottleneck: seconds, not the minute the whole city takes); `seed --demo --history`
the whole city.

What it simulates, per row:
- demand: a seat is booked with a probability that depends on the procedure (22-46 %) and the weekday
  (Mondays busier, Fridays and Saturdays quieter); walk-ins for procedures that allow them, more early;
- lead times: exponential, with a mean of a fifth of the procedure's booking window, at least 2 hours;
- outcomes: 8 % cancelled; no-shows 5-23 % depending on the procedure; the rest come, from 20 minutes
  early to 10 late; walk-ins: 4 % leave before being called, 5 % do not answer the call;
- waits: exponential, longer around 10:30 and at some offices (the bottlenecks to find);
- service times: the procedure's duration times a log-normal factor, slower as the day goes on;
- estimates given at issue: the real wait, 40 % off either way; ratings from 30 % of those served,
  lower after long waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.runtime import open_state
from core.settings import Settings
from demo.seed import NO_JIT, TIMEZONE, progress_bar
from models.catalogue import offices as office_table
from resolvers.agenda.release import release
from resolvers.analytics.facts import refresh_facts

MARK = "demo history"
CHUNK_DAYS = 14
MAX_DAYS = 730

_NAMES = (
    "ARRAY['Lucía','Mateo','Valentina','Santiago','Martina','Benjamín','Sofía','Thiago','Camila','Joaquín',"
    "'Florencia','Tomás','Agustina','Facundo','Julieta','Nicolás','Milagros','Franco','Rocío','Lautaro']"
)
_SURNAMES = (
    "ARRAY['González','Rodríguez','Gómez','Fernández','López','Díaz','Martínez','Pérez','García','Sánchez',"
    "'Romero','Sosa','Torres','Álvarez','Ruiz','Ramírez','Flores','Benítez','Acosta','Medina']"
)

_BOOKINGS = text(f"""
WITH seats AS (
    SELECT sl.id AS slot_id, seat, sl.office_id, sl.service_id, sl.starts_at, sl.ends_at,
           s.booking_window_days AS window_days,
           CAST(extract(isodow FROM sl.starts_at AT TIME ZONE o.timezone) AS integer) AS weekday,
           random() AS r_fill, random() AS r_status, random() AS r_lead, random() AS r_channel,
           random() AS r_name, random() AS r_surname
    FROM slots sl
    JOIN offices o ON o.id = sl.office_id
    JOIN services s ON s.id = sl.service_id
    CROSS JOIN LATERAL generate_series(1, sl.capacity) AS seat
    WHERE sl.starts_at >= :ts_from AND sl.starts_at < :ts_to
      AND sl.office_id = ANY(:offices)
      AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = sl.id)
)
INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel, citizen_name,
                      citizen_locale, document_hash, document_hint, manage_nonce, manage_token_hash, notes,
                      created_at)
SELECT translate(substr(md5(slot_id || ':' || seat), 1, 8), '01abcdef', 'XYABCDEF'),
       CAST(CASE WHEN r_status < 0.08 THEN 'CANCELLED'
                 WHEN r_status < 0.08 + 0.05 + (service_id % 7) * 0.03 THEN 'NO_SHOW'
                 ELSE 'COMPLETED' END AS booking_status),
       slot_id, office_id, service_id, starts_at, ends_at,
       CAST(CASE WHEN r_channel < 0.55 THEN 'WEB' WHEN r_channel < 0.80 THEN 'MOBILE'
                 WHEN r_channel < 0.93 THEN 'PHONE' ELSE 'DESK' END AS channel),
       ({_NAMES})[1 + floor(r_name * 20)] || ' ' || ({_SURNAMES})[1 + floor(r_surname * 20)],
       'es',
       sha256(convert_to('history-document:' || slot_id || ':' || seat, 'UTF8')),
       lpad(CAST(floor(r_name * 10000) AS text), 4, '0'),
       substring(sha256(convert_to('history-nonce:' || slot_id || ':' || seat, 'UTF8')) FROM 1 FOR 16),
       sha256(convert_to('history-token:' || slot_id || ':' || seat, 'UTF8')),
       :mark,
       starts_at - least(make_interval(days => window_days),
                         interval '2 hours' + make_interval(secs => -ln(1 - r_lead) * window_days * 86400 / 5.0))
FROM seats
WHERE r_fill < 0.22 + (service_id % 5) * 0.06
               + CASE WHEN weekday = 1 THEN 0.10 WHEN weekday >= 5 THEN -0.06 ELSE 0 END
""")

_SLOTS_BOOKED = text("""
UPDATE slots sl SET booked = c.seats
FROM (SELECT slot_id, count(*) AS seats FROM bookings
      WHERE notes = :mark AND status <> 'CANCELLED' AND starts_at >= :ts_from AND starts_at < :ts_to
      GROUP BY slot_id) AS c
WHERE sl.id = c.slot_id
""")

# Who came (appointments kept, walk-ins), then what happened to each: one row per ticket.
_TICKETS = text("""
WITH desk_of AS (
    SELECT DISTINCT ON (d.office_id, ds.service_id) d.office_id, ds.service_id, d.id AS desk_id
    FROM desks d JOIN desk_services ds ON ds.desk_id = d.id
    ORDER BY d.office_id, ds.service_id, d.id
),
arrivals AS (
    SELECT b.office_id, b.service_id, b.id AS booking_id, b.starts_at AS appointment,
           b.starts_at + make_interval(secs => (random() * 30 - 20) * 60) AS issued_at, random() AS r_outcome
    FROM bookings b
    WHERE b.notes = :mark AND b.status = 'COMPLETED' AND b.starts_at >= :ts_from AND b.starts_at < :ts_to
    UNION ALL
    SELECT sl.office_id, sl.service_id, NULL, NULL,
           sl.starts_at + (sl.ends_at - sl.starts_at) * random(), random()
    FROM slots sl
    JOIN services s ON s.id = sl.service_id
    JOIN offices o ON o.id = sl.office_id
    WHERE s.walk_in_allowed AND sl.starts_at >= :ts_from AND sl.starts_at < :ts_to
      AND sl.office_id = ANY(:offices)
      AND random() < 0.30 - 0.03 * (extract(hour FROM sl.starts_at AT TIME ZONE o.timezone) - 8)
),
shaped AS (
    SELECT a.*, o.timezone, s.ticket_prefix, s.duration_minutes,
           CASE WHEN a.booking_id IS NOT NULL THEN 'DONE'
                WHEN a.r_outcome < 0.04 THEN 'CANCELLED' WHEN a.r_outcome < 0.09 THEN 'NO_SHOW'
                ELSE 'DONE' END AS status,
           greatest(a.issued_at, coalesce(a.appointment, a.issued_at)) AS began,
           extract(hour FROM a.issued_at AT TIME ZONE o.timezone) AS local_hour,
           -- exponential waits: longer around 10:30, and at every fourth office (its bottleneck)
           -ln(1 - random()) * (4 + 16 * exp(-power(extract(hour FROM a.issued_at AT TIME ZONE o.timezone)
                                                        + extract(minute FROM a.issued_at) / 60.0 - 10.5, 2) / 3))
               * (CASE WHEN a.office_id % 4 = 0 THEN 1.8 ELSE 1.0 END) AS wait_minutes,
           -- log-normal service times around the procedure's duration, slower late in the day
           s.duration_minutes * exp((random() + random() + random() - 1.5) * 0.5)
               * (1 + 0.04 * greatest(extract(hour FROM a.issued_at AT TIME ZONE o.timezone) - 8, 0))
               AS service_minutes,
           0.6 + 0.8 * random() AS estimate_error,
           random() < 0.05 AS priority
    FROM arrivals a
    JOIN offices o ON o.id = a.office_id
    JOIN services s ON s.id = a.service_id
),
numbered AS (
    SELECT sh.*, CAST(sh.issued_at AT TIME ZONE sh.timezone AS date) AS day,
           row_number() OVER (PARTITION BY sh.office_id, CAST(sh.issued_at AT TIME ZONE sh.timezone AS date)
                              ORDER BY sh.issued_at) AS day_number
    FROM shaped sh
),
timed AS (
    SELECT n.*, n.began + make_interval(secs => n.wait_minutes * 60) AS called_at FROM numbered n
)
INSERT INTO tickets (office_id, service_id, booking_id, number, day, day_number, priority, status, due_at,
                     issued_at, called_at, started_at, finished_at, desk_id, estimated_wait_minutes)
SELECT t.office_id, t.service_id, t.booking_id, t.ticket_prefix || '-' || lpad(CAST(t.day_number AS text), 3, '0'),
       t.day, t.day_number,
       CAST(CASE WHEN t.priority THEN 'PRIORITY' ELSE 'STANDARD' END AS priority_class),
       CAST(t.status AS ticket_status),
       t.began - CASE WHEN t.priority THEN interval '15 minutes' ELSE interval '0' END,
       t.issued_at,
       CASE WHEN t.status <> 'CANCELLED' THEN t.called_at END,
       CASE WHEN t.status = 'DONE' THEN t.called_at + interval '1 minute' END,
       CASE WHEN t.status = 'DONE' THEN t.called_at + interval '1 minute'
                                        + make_interval(secs => t.service_minutes * 60) END,
       CASE WHEN t.status <> 'CANCELLED' THEN d.desk_id END,
       CAST(round(extract(epoch FROM t.called_at - t.issued_at) / 60 * t.estimate_error) AS integer)
FROM timed t
LEFT JOIN desk_of d ON d.office_id = t.office_id AND d.service_id = t.service_id
""")

_FEEDBACK = text("""
INSERT INTO feedback (ticket_id, booking_id, office_id, service_id, token_nonce, token_hash, rating, created_at,
                      submitted_at)
SELECT t.id, t.booking_id, t.office_id, t.service_id,
       substring(sha256(convert_to('history-feedback-nonce:' || t.id, 'UTF8')) FROM 1 FOR 16),
       sha256(convert_to('history-feedback:' || t.id, 'UTF8')),
       CAST(greatest(1, least(5, round(5.3 - extract(epoch FROM t.called_at - t.issued_at) / 60 / 12
                                       + (random() - 0.5) * 2.5))) AS smallint),
       t.finished_at, t.finished_at + make_interval(secs => random() * 86400)
FROM tickets t
WHERE t.issued_at >= :ts_from AND t.issued_at < :ts_to AND t.status = 'DONE'
  AND t.office_id = ANY(:offices)
  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.ticket_id = t.id) AND random() < 0.30
""")

_EVENTS = text("""
INSERT INTO booking_events (booking_id, at, status, channel, actor)
SELECT b.id, b.created_at, 'BOOKED', b.channel, 'citizen'
FROM bookings b WHERE b.notes = :mark AND b.starts_at >= :ts_from AND b.starts_at < :ts_to
UNION ALL
SELECT b.id,
       CASE b.status WHEN 'CANCELLED' THEN b.created_at + (b.starts_at - b.created_at) / 2
                     WHEN 'NO_SHOW' THEN b.starts_at + interval '20 minutes'
                     ELSE coalesce(t.finished_at, b.ends_at) END,
       b.status, NULL, CASE b.status WHEN 'CANCELLED' THEN 'citizen' ELSE 'system' END
FROM bookings b LEFT JOIN tickets t ON t.booking_id = b.id
WHERE b.notes = :mark AND b.starts_at >= :ts_from AND b.starts_at < :ts_to
""")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(TIMEZONE))


async def _chunk(conn: AsyncConnection, day_from: date, day_to: date, offices: list[int], whole_city: bool) -> None:
    ts_from, ts_to = _start_of(day_from), _start_of(day_to + timedelta(days=1))
    bounds = {"ts_from": ts_from, "ts_to": ts_to, "mark": MARK, "offices": offices}
    # the whole city in one statement; a few offices one by one (release takes one office or all)
    every_office: list[int | None] = [None]
    for office_id in every_office if whole_city else offices:
        await release(conn, office_id, day_to, from_day=day_from)
    await conn.execute(_BOOKINGS, bounds)
    await conn.execute(_SLOTS_BOOKED, bounds)
    await conn.execute(_TICKETS, bounds)
    await conn.execute(_FEEDBACK, bounds)
    await conn.execute(_EVENTS, bounds)
    await refresh_facts(conn, ts_from, ts_to, None if whole_city else offices)


async def seed_history(
    settings: Settings, days: int, office_slugs: Sequence[str] | None = None, console: Console | None = None
) -> int:
    """Simulates the `days` days before today (1 to MAX_DAYS, checked by the command line) at the offices named
    (else all); 0 when done or when the history is already there (nothing added)."""
    console = console or Console()
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    first = today - timedelta(days=days)
    async with open_state(settings, application_name="turnero-seed") as state:
        async with state.engine.begin() as conn:
            loaded = (
                await conn.execute(
                    text("SELECT min(starts_at), count(*) FROM bookings WHERE notes = :mark"), {"mark": MARK}
                )
            ).one()
            if loaded[1]:
                console.print(
                    f"demo history already loaded ({loaded[1]} bookings from {loaded[0]:%Y-%m-%d}); nothing added",
                    soft_wrap=True,
                )
                return 0
            # an array the planner can use the slots' office index with, even for the whole city
            chosen = select(office_table.c.id)
            if office_slugs is not None:
                chosen = chosen.where(office_table.c.slug.in_(office_slugs))
            offices = list((await conn.execute(chosen)).scalars().all())
            await conn.execute(NO_JIT)
            await conn.execute(text("SELECT setseed(0.2026)"))
            with progress_bar(console) as progress:
                task = progress.add_task(f"history ({days} days)", total=days)
                day = first
                while day < today:
                    last = min(day + timedelta(days=CHUNK_DAYS - 1), today - timedelta(days=1))
                    await _chunk(conn, day, last, offices, office_slugs is None)
                    progress.advance(task, (last - day).days + 1)
                    day = last + timedelta(days=1)
        async with state.engine.connect() as conn:
            # fresh statistics, or the planner takes a year of facts for a few thousand rows; and the facts'
            # pages marked all-visible, so stats reads the measures' indexes without visiting the table
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM (ANALYZE) visit_facts"))
            await conn.execute(text("ANALYZE visit_counts, bookings, tickets, slots, feedback"))
            counts = (
                await conn.execute(
                    text("""SELECT (SELECT count(*) FROM bookings WHERE notes = :mark),
                                   (SELECT count(*) FROM tickets WHERE issued_at < :today),
                                   (SELECT count(*) FROM feedback WHERE created_at < :today)"""),
                    {"mark": MARK, "today": _start_of(today)},
                )
            ).one()
    console.print(
        f"demo history: {days} days from {first}, {counts[0]} bookings, {counts[1]} tickets, {counts[2]} ratings",
        soft_wrap=True,
    )
    return 0
