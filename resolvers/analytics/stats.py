"""`stats`: what managers measure, for any offices, services and period, grouped as they ask.

One SQL statement over visit_facts (and unmet_searches): counts with FILTER, percentiles with
percentile_cont (continuous, linear interpolation between the two nearest values, as PostgreSQL and
NumPy's default define it), the groups and their totals in one pass with GROUPING SETS, or, given
the engine, the totals on a second connection at the same time. Every key is in the office's own time
zone (visit_facts holds the local day and hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import NotAllowedError, ValidationFailed
from core.validation import parse_id
from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.analytics.facts import refresh_facts

MAX_RANGE_DAYS = 366
MAX_IDS = 500
# a GraphQL answer holds at most this many rows; the CSV export streams any number
MAX_ROWS = 20_000


class Grouping(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    WEEKDAY = "WEEKDAY"
    HOUR = "HOUR"
    OFFICE = "OFFICE"
    SERVICE = "SERVICE"


PERIODS = (Grouping.DAY, Grouping.WEEK, Grouping.MONTH)

# Grouping -> (output column, SQL over the facts). Fixed text only: no input reaches the SQL as text.
_KEYS: dict[Grouping, tuple[str, str]] = {
    Grouping.DAY: ("period", "local_date"),
    # on a timestamp without zone: no conversion through the session's zone for every row
    Grouping.WEEK: ("period", "CAST(date_trunc('week', CAST(local_date AS timestamp)) AS date)"),  # ISO: Monday
    Grouping.MONTH: ("period", "CAST(date_trunc('month', CAST(local_date AS timestamp)) AS date)"),
    Grouping.WEEKDAY: ("weekday", "CAST(extract(isodow FROM local_date) AS integer)"),  # 1 Monday .. 7 Sunday
    Grouping.HOUR: ("hour", "CAST(local_hour AS integer)"),
    Grouping.OFFICE: ("office_id", "office_id"),
    Grouping.SERVICE: ("service_id", "service_id"),
}
_OUTPUT_KEYS = ("period", "weekday", "hour", "office_id", "service_id")


@dataclass(frozen=True, slots=True)
class StatsFilter:
    date_from: date
    date_to: date
    office_ids: Sequence[str] | None = None
    service_ids: Sequence[str] | None = None
    group_by: Sequence[Grouping] = ()


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """A filter checked and authorised: what the SQL runs with."""

    date_from: date
    date_to: date
    office_ids: list[int] | None
    service_ids: list[int] | None
    group_by: tuple[Grouping, ...]


@dataclass(frozen=True, slots=True)
class StatsRowRecord:
    total: bool
    period: date | None
    weekday: int | None
    hour: int | None
    office_id: int | None
    service_id: int | None
    booked: int
    cancelled: int
    came: int
    no_shows: int
    walk_ins: int
    served: int
    unmet_searches: int
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    service_median_minutes: float | None
    service_p90_minutes: float | None
    lead_time_median_days: float | None
    lead_time_p90_days: float | None
    rating_count: int
    rating_average: float | None
    ratings: tuple[int, int, int, int, int]
    estimate_count: int
    estimate_mean_minutes: float | None
    actual_mean_minutes: float | None
    estimate_mean_absolute_error_minutes: float | None

    @property
    def no_show_rate(self) -> float | None:
        """Of the appointments whose outcome is known (came or did not), the share that did not come."""
        settled = self.came + self.no_shows
        return self.no_shows / settled if settled else None

    @property
    def demand(self) -> int:
        return self.booked + self.walk_ins

    @property
    def estimate_bias_minutes(self) -> float | None:
        """Positive: people waited longer than they were told."""
        if self.actual_mean_minutes is None or self.estimate_mean_minutes is None:
            return None
        return self.actual_mean_minutes - self.estimate_mean_minutes

    @classmethod
    def from_row(cls, row: Any) -> StatsRowRecord:
        def number(name: str) -> float | None:
            value = row[name]
            return None if value is None else float(value)

        def percentile(name: str, index: int, unit: int) -> float | None:
            values = row[name]
            return None if values is None or values[index] is None else float(values[index]) / unit

        return cls(
            total=bool(row["is_total"]),
            period=row["period"],
            weekday=row["weekday"],
            hour=row["hour"],
            office_id=row["office_id"],
            service_id=row["service_id"],
            booked=row["booked"],
            cancelled=row["cancelled"],
            came=row["came"],
            no_shows=row["no_shows"],
            walk_ins=row["walk_ins"],
            served=row["served"],
            unmet_searches=int(row["unmet_searches"]),
            wait_median_minutes=percentile("wait_seconds", 0, 60),
            wait_p90_minutes=percentile("wait_seconds", 1, 60),
            service_median_minutes=percentile("service_seconds", 0, 60),
            service_p90_minutes=percentile("service_seconds", 1, 60),
            lead_time_median_days=percentile("lead_seconds", 0, 86400),
            lead_time_p90_days=percentile("lead_seconds", 1, 86400),
            rating_count=row["rating_count"],
            rating_average=number("rating_average"),
            ratings=(row["rating_1"], row["rating_2"], row["rating_3"], row["rating_4"], row["rating_5"]),
            estimate_count=row["estimate_count"],
            estimate_mean_minutes=number("estimate_mean_minutes"),
            actual_mean_minutes=number("actual_mean_minutes"),
            estimate_mean_absolute_error_minutes=number("estimate_mae_minutes"),
        )


_FIGURES = """
    count(*) FILTER (WHERE booked) AS booked,
    count(*) FILTER (WHERE cancelled) AS cancelled,
    count(*) FILTER (WHERE came) AS came,
    count(*) FILTER (WHERE no_show) AS no_shows,
    count(*) FILTER (WHERE walk_in) AS walk_ins,
    count(*) FILTER (WHERE served) AS served,
    coalesce(sum(searches), 0) AS unmet_searches,
    -- one sort per measure for both percentiles
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait_seconds) AS wait_seconds,
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY service_seconds) AS service_seconds,
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY lead_seconds) FILTER (WHERE booked) AS lead_seconds,
    count(rating) AS rating_count,
    CAST(avg(rating) AS float8) AS rating_average,
    count(*) FILTER (WHERE rating = 1) AS rating_1,
    count(*) FILTER (WHERE rating = 2) AS rating_2,
    count(*) FILTER (WHERE rating = 3) AS rating_3,
    count(*) FILTER (WHERE rating = 4) AS rating_4,
    count(*) FILTER (WHERE rating = 5) AS rating_5,
    count(*) FILTER (WHERE estimated_wait_minutes IS NOT NULL AND called_after_seconds IS NOT NULL)
        AS estimate_count,
    CAST(avg(estimated_wait_minutes) FILTER (WHERE called_after_seconds IS NOT NULL) AS float8)
        AS estimate_mean_minutes,
    CAST(avg(called_after_seconds / 60.0) FILTER (WHERE estimated_wait_minutes IS NOT NULL) AS float8)
        AS actual_mean_minutes,
    CAST(avg(abs(called_after_seconds / 60.0 - estimated_wait_minutes)) AS float8) AS estimate_mae_minutes
"""

# Searches anywhere in the city (no office) are counted in the zone most offices keep.
_FACTS = """
    SELECT office_id, service_id, local_date, local_hour, booked, cancelled, came, no_show, walk_in, served,
           lead_seconds, wait_seconds, service_seconds, estimated_wait_minutes, called_after_seconds, rating,
           CAST(NULL AS integer) AS searches
    FROM visit_facts
    WHERE local_date BETWEEN :date_from AND :date_to
      AND (CAST(:office_ids AS bigint[]) IS NULL OR office_id = ANY(:office_ids))
      AND (CAST(:service_ids AS bigint[]) IS NULL OR service_id = ANY(:service_ids))
    UNION ALL
    SELECT u.office_id, u.service_id, CAST(l.local AS date), CAST(extract(hour FROM l.local) AS smallint),
           false, false, false, false, false, false, NULL, NULL, NULL, NULL, NULL, NULL, u.searches
    FROM unmet_searches u
    LEFT JOIN offices o ON o.id = u.office_id
    CROSS JOIN LATERAL (SELECT u.hour_start AT TIME ZONE coalesce(o.timezone,
        (SELECT timezone FROM offices GROUP BY timezone ORDER BY count(*) DESC, timezone LIMIT 1), 'UTC')
        AS local) AS l
    WHERE u.hour_start >= CAST(:date_from AS date) - 2 AND u.hour_start < CAST(:date_to AS date) + 3
      AND CAST(l.local AS date) BETWEEN :date_from AND :date_to
      AND (CAST(:office_ids AS bigint[]) IS NULL OR u.office_id = ANY(:office_ids))
      AND (CAST(:service_ids AS bigint[]) IS NULL OR u.service_id = ANY(:service_ids))
"""


def stats_sql(group_by: Sequence[Grouping], *, totals: bool = True) -> str:
    """The groups in key order and, with `totals`, the totals row last (GROUPING SETS: one scan)."""
    keys = {_KEYS[g][0]: _KEYS[g][1] for g in group_by}
    selected = ", ".join(f"{keys.get(name, 'NULL')} AS {name}" for name in _OUTPUT_KEYS)
    expressions = list(keys.values())
    if expressions:
        order = ", ".join(f"{name} NULLS FIRST" for name in keys)
        if totals:
            grouping = f"GROUP BY GROUPING SETS (({', '.join(expressions)}), ())"
            is_total = f"GROUPING({', '.join(expressions)}) <> 0"
            order_by = f"ORDER BY is_total, {order}"
        else:
            grouping, is_total, order_by = f"GROUP BY {', '.join(expressions)}", "false", f"ORDER BY {order}"
    else:
        grouping, is_total, order_by = "", "true", ""
    return f"""
        SELECT {selected}, {is_total} AS is_total, {_FIGURES}
        FROM ({_FACTS}) AS facts
        {grouping}
        {order_by}
    """


def _ids(field: str, values: Sequence[str] | None) -> list[int] | None:
    if values is None:
        return None
    if len(values) > MAX_IDS:
        raise ValidationFailed(field, f"{field} may hold at most {MAX_IDS} IDs.")
    ids: list[int] = []
    for index, value in enumerate(values):
        number = parse_id(value)
        if number is None:
            raise ValidationFailed(f"{field}.{index}", f"{value!r} is not a valid ID.")
        ids.append(number)
    return sorted(set(ids))


async def _require_known(conn: AsyncConnection, field: str, table: str, ids: list[int]) -> None:
    found = {row[0] for row in await conn.execute(text(f"SELECT id FROM {table} WHERE id = ANY(:ids)"), {"ids": ids})}
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise ValidationFailed(field, f"Unknown {table} in {field}: {', '.join(unknown)}.")


def managed_offices(viewer: Viewer) -> list[int] | None:
    """The offices whose figures the viewer may read: None for every office (ADMIN)."""
    if viewer.is_admin:
        return None
    offices = sorted({g.office_id for g in viewer.grants if g.role is Role.MANAGER and g.office_id is not None})
    if not offices:
        raise NotAllowedError("Only managers and administrators read analytics.")
    return offices


async def check_filter(conn: AsyncConnection, viewer: Viewer, data: StatsFilter) -> StatsQuery:
    """Validates and authorises. A manager naming an office they do not manage is refused (NotAllowed),
    never silently narrowed: a figure that quietly covers less than was asked would mislead."""
    allowed = managed_offices(viewer)
    if data.date_to < data.date_from:
        raise ValidationFailed("filter.to", "`to` must not be before `from`.")
    if (data.date_to - data.date_from).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed("filter.to", f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    group_by = tuple(dict.fromkeys(data.group_by))
    if sum(g in PERIODS for g in group_by) > 1:
        raise ValidationFailed("groupBy", "Group by one period at a time: DAY, WEEK or MONTH.")
    office_ids = _ids("filter.officeIds", data.office_ids)
    service_ids = _ids("filter.serviceIds", data.service_ids)
    if office_ids:
        await _require_known(conn, "filter.officeIds", "offices", office_ids)
        if allowed is not None and not set(office_ids) <= set(allowed):
            raise NotAllowedError("You may read the figures of the offices you manage only.")
    if service_ids:
        await _require_known(conn, "filter.serviceIds", "services", service_ids)
    if office_ids is None or not office_ids:
        office_ids = allowed
    return StatsQuery(data.date_from, data.date_to, office_ids, service_ids or None, group_by)


async def _refresh_today(conn: AsyncConnection, query: StatsQuery) -> None:
    """A period that reaches today reads today's facts as they are now, not as the last job left them."""
    now = datetime.now(UTC)
    if query.date_to >= now.date() - timedelta(days=1) and query.date_from <= now.date() + timedelta(days=1):
        await refresh_facts(conn, now - timedelta(hours=36), now + timedelta(hours=36), query.office_ids)
        await conn.commit()


def _parameters(query: StatsQuery) -> dict[str, Any]:
    return {
        "date_from": query.date_from,
        "date_to": query.date_to,
        "office_ids": query.office_ids,
        "service_ids": query.service_ids,
    }


async def _prepare(conn: AsyncConnection) -> None:
    # the sorts (by group key, and of each measure for its percentiles) stay in memory up to this; past it
    # PostgreSQL spills to disk (a year of the whole demo city does: about 47 MB of temporary files)
    await conn.execute(text("SET LOCAL work_mem = '64MB'"))
    # read through a cursor, but every row is wanted: plan for the whole result, not for the first rows
    await conn.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))


async def _totals(engine: AsyncEngine, query: StatsQuery) -> StatsRowRecord:
    async with engine.connect() as conn:
        await _prepare(conn)
        row = (await conn.execute(text(stats_sql(())), _parameters(query))).mappings().one()
        return StatsRowRecord.from_row(row)


async def stats_rows(
    conn: AsyncConnection, query: StatsQuery, engine: AsyncEngine | None = None
) -> AsyncGenerator[StatsRowRecord, None]:
    """The groups in key order, then the totals row; streamed from the server, never all in memory.

    With an engine, the totals run at the same time on a connection of their own: percentiles take a sort
    per measure for the groups and again for the totals, and two statements use two cores where one
    (ordered-set aggregates do not run in parallel) would use one.
    """
    await _refresh_today(conn, query)
    await _prepare(conn)
    if engine is None or not query.group_by:
        result = await conn.stream(text(stats_sql(query.group_by)), _parameters(query))
        async for row in result.mappings():
            yield StatsRowRecord.from_row(row)
        return
    totals = asyncio.create_task(_totals(engine, query))
    try:
        result = await conn.stream(text(stats_sql(query.group_by, totals=False)), _parameters(query))
        async for row in result.mappings():
            yield StatsRowRecord.from_row(row)
        yield await totals
    finally:
        if not totals.done():
            totals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await totals


async def stats(
    conn: AsyncConnection, viewer: Viewer, data: StatsFilter, engine: AsyncEngine | None = None
) -> list[StatsRowRecord]:
    query = await check_filter(conn, viewer, data)
    rows: list[StatsRowRecord] = []
    # closed at once when refused midway: the totals' own connection goes back to the pool now
    async with contextlib.aclosing(stats_rows(conn, query, engine)) as found:
        async for row in found:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise ValidationFailed(
                    "groupBy", f"More than {MAX_ROWS} groups: group more coarsely, or use the CSV export."
                )
    return rows
