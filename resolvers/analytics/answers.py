"""`stats` answers over closed days, kept whole (issue 18 part 5: the city's year in half a second).

Adding up a year of a city's facts takes about a second whatever the statements (docs/performance.md); the
answer over days that are over changes only when a facts refresh rewrites one of their facts. So such an
answer is kept in stats_answers and served as it is:

- closed: every day of the period is before today in every office's time zone (unmet searches are counted
  at the hour they happen, so an open day's figures change without any refresh);
- exact: refresh_facts deletes, in the transaction that changes the facts, every kept answer whose days
  include a day it touched; an answer is kept only if no refresh that changed anything committed between
  reading stats_facts_generation (before its statements read the facts) and storing it (which waits, with
  the row's lock, for a refresh that is changing the generation right then);
- computed ahead by the worker (precompute_answers) for the spans managers ask most, and on the first ask
  for any other; a kept answer with more percentiles than asked serves the narrower question (the figures
  not asked are left out, as the statements would leave them).

Periods that reach an open day are never kept: they are computed from the facts at each ask, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.analytics import MEASURES
from resolvers.analytics.stats_records import Scope, StatsQuery, StatsRowRecord
from resolvers.analytics.stats_sql import Grouping

__all__ = [
    "AHEAD_GROUPINGS",
    "AHEAD_SPANS_DAYS",
    "first_open_day",
    "forget_answers",
    "keep_answer",
    "kept_answer",
    "read_generation",
]

# the spans computed ahead, each ending on the last closed day: the year bench.analytics asks, and the
# dashboard's quarter and month (web/analytics/analytics.js opens on 90 days)
AHEAD_SPANS_DAYS = (365, 90, 30)
# every grouping the analytics page and the CSV export ask, and bench.analytics' nine
AHEAD_GROUPINGS: tuple[tuple[Grouping, ...], ...] = (
    (),
    (Grouping.MONTH,),
    (Grouping.WEEK,),
    (Grouping.DAY,),
    (Grouping.WEEKDAY, Grouping.HOUR),
    (Grouping.OFFICE,),
    (Grouping.SERVICE,),
    (Grouping.OFFICE, Grouping.HOUR),
    (Grouping.OFFICE, Grouping.SERVICE),
)

# the percentile figures of each measure: what a narrower question leaves out of a kept answer
_PERCENTILE_FIELDS = {
    "wait": ("wait_median_minutes", "wait_p90_minutes"),
    "service": ("service_median_minutes", "service_p90_minutes"),
    "lead": ("lead_time_median_days", "lead_time_p90_days"),
}
assert set(_PERCENTILE_FIELDS) == {m.name for m in MEASURES}

# the first day that is still today somewhere among the offices (UTC without any office)
_FIRST_OPEN_DAY = text("""
SELECT coalesce(min(CAST(now() AT TIME ZONE z.timezone AS date)), CAST(now() AT TIME ZONE 'UTC' AS date))
FROM (SELECT DISTINCT timezone FROM offices) AS z
""")
_GENERATION = text("SELECT coalesce((SELECT generation FROM stats_facts_generation WHERE id = 1), 0)")
# an upsert that changes nothing, for its lock: it waits for a refresh that has counted itself (or made the
# row) and not yet committed, then reads that refresh's count; FOR SHARE would not wait for a row being made
_GENERATION_LOCKED = text("""
INSERT INTO stats_facts_generation (id, generation) VALUES (1, 0)
ON CONFLICT (id) DO UPDATE SET generation = stats_facts_generation.generation
RETURNING generation
""")
_KEPT = text("SELECT scopes, rows FROM stats_answers WHERE key = :key")
_KEEP = text("""
INSERT INTO stats_answers (key, date_from, date_to, scopes, rows)
VALUES (:key, :date_from, :date_to, CAST(:scopes AS jsonb), CAST(:rows AS jsonb))
ON CONFLICT (key) DO UPDATE SET scopes = EXCLUDED.scopes, rows = EXCLUDED.rows, computed_at = now()
""")


async def first_open_day(conn: AsyncConnection) -> date:
    found: date = (await conn.execute(_FIRST_OPEN_DAY)).scalar_one()
    return found


def is_closed(query: StatsQuery, first_open: date) -> bool:
    return query.date_to < first_open


def _key(query: StatsQuery) -> str:
    """The question without its percentiles: a kept answer holds its own (scopes)."""
    canonical = json.dumps(
        [
            query.date_from.isoformat(),
            query.date_to.isoformat(),
            query.office_ids,
            query.service_ids,
            [g.value for g in query.group_by],
        ]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _covers(kept: Mapping[str, str], asked: Mapping[str, Scope]) -> bool:
    return all(kept.get(name) in ("GROUPS_AND_TOTALS", scope.name) for name, scope in asked.items())


def _encode(record: StatsRowRecord) -> list[Any]:
    values = [getattr(record, field.name) for field in dataclasses.fields(record)]
    return [v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v for v in values]


def _decode(row: Sequence[Any], asked: Mapping[str, Scope]) -> StatsRowRecord:
    names = [field.name for field in dataclasses.fields(StatsRowRecord)]
    values = dict(zip(names, row, strict=True))
    if values["period"] is not None:
        values["period"] = date.fromisoformat(values["period"])
    values["ratings"] = tuple(values["ratings"])
    # a figure not asked is not given, as the statements give it: None
    wanted = Scope.TOTALS if values["total"] else Scope.GROUPS
    for measure, fields in _PERCENTILE_FIELDS.items():
        scope = asked.get(measure)
        if scope is None or scope not in (wanted, Scope.GROUPS_AND_TOTALS):
            for name in fields:
                values[name] = None
    return StatsRowRecord(**values)


async def kept_answer(
    conn: AsyncConnection, query: StatsQuery, asked: Mapping[str, Scope]
) -> list[StatsRowRecord] | None:
    """The kept answer to `query` if there is one holding every percentile asked, else None."""
    found = (await conn.execute(_KEPT, {"key": _key(query)})).one_or_none()
    if found is None or not _covers(found.scopes, asked):
        return None
    return [_decode(row, asked) for row in found.rows]


async def read_generation(conn: AsyncConnection) -> int:
    generation: int = (await conn.execute(_GENERATION)).scalar_one()
    return generation


async def keep_answer(
    engine: AsyncEngine,
    query: StatsQuery,
    asked: Mapping[str, Scope],
    rows: Sequence[StatsRowRecord],
    generation: int,
) -> bool:
    """Keeps a whole answer computed from facts no older than `generation`: not if a refresh that changed
    facts committed since (it may have deleted this very answer's predecessor already). True if kept."""
    async with engine.begin() as conn:
        if (await conn.execute(_GENERATION_LOCKED)).scalar_one() != generation:
            return False
        await conn.execute(
            _KEEP,
            {
                "key": _key(query),
                "date_from": query.date_from,
                "date_to": query.date_to,
                "scopes": json.dumps({name: scope.name for name, scope in asked.items()}),
                "rows": json.dumps([_encode(row) for row in rows]),
            },
        )
    return True


async def forget_answers(conn: AsyncConnection) -> None:
    """Every kept answer gone (the bench's cold measure; a test's clean slate)."""
    await conn.execute(text("DELETE FROM stats_answers"))


def ahead_periods(first_open: date) -> list[tuple[date, date]]:
    """The spans computed ahead, each ending on the last closed day."""
    return [(first_open - timedelta(days=days), first_open - timedelta(days=1)) for days in AHEAD_SPANS_DAYS]
