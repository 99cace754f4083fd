"""The statements behind `stats`: one of counts, and one per measure for its percentiles.

Why several: exact percentiles (percentile_cont) sort every value of a measure, and PostgreSQL runs an
ordered-set aggregate neither hashed nor in parallel, so in one statement they keep one core busy for the
whole query and the counts wait behind their sorts. Apart, each is small enough to be fast on its own:

- the counts (and sums, for the averages) add up the hourly counts that the facts' refresh keeps
  (visit_counts: about a quarter as many rows as facts);
- each measure reads only its own partial covering index (models.analytics.MEASURES, migration 0007:
  the rows that have the measure, with the keys and the value, never the table), in local-day order,
  so grouping by day, week or month needs no sort: weeks and months are a join with their own date
  ranges, which keeps that order;
- they run at the same time on connections of their own, and `stats` merges them by group key.

Every key is in the office's own time zone (visit_facts holds the local day and hour). Fixed text only:
no input reaches the SQL as text.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, timedelta

from models.analytics import Measure
from resolvers.analytics.facts import COUNT_COLUMNS


class Grouping(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    WEEKDAY = "WEEKDAY"
    HOUR = "HOUR"
    OFFICE = "OFFICE"
    SERVICE = "SERVICE"


PERIODS = (Grouping.DAY, Grouping.WEEK, Grouping.MONTH)
OUTPUT_KEYS = ("period", "weekday", "hour", "office_id", "service_id")

# Grouping -> (output column, SQL over the facts)
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
# a week or a month as a range of local days, for the join that keeps the index's day order
_PERIOD_STEP = {Grouping.WEEK: "interval '1 week'", Grouping.MONTH: "interval '1 month'"}


# Integers only, so the totals are the sums of the groups' and every average is a sum over a count.
COUNTS = (*COUNT_COLUMNS, "unmet_searches")
_FILTERS = """local_date BETWEEN :date_from AND :date_to
      AND (CAST(:office_ids AS bigint[]) IS NULL OR office_id = ANY(:office_ids))
      AND (CAST(:service_ids AS bigint[]) IS NULL OR service_id = ANY(:service_ids))"""

# Searches anywhere in the city (no office) are counted in the zone most offices keep.
_UNMET = """
    SELECT u.office_id, u.service_id, CAST(l.local AS date) AS local_date,
           CAST(extract(hour FROM l.local) AS smallint) AS local_hour, u.searches
    FROM unmet_searches u
    LEFT JOIN offices o ON o.id = u.office_id
    CROSS JOIN LATERAL (SELECT u.hour_start AT TIME ZONE coalesce(o.timezone,
        (SELECT timezone FROM offices GROUP BY timezone ORDER BY count(*) DESC, timezone LIMIT 1), 'UTC')
        AS local) AS l
    WHERE u.hour_start >= CAST(:date_from AS date) - 2 AND u.hour_start < CAST(:date_to AS date) + 3
      AND (CAST(:office_ids AS bigint[]) IS NULL OR u.office_id = ANY(:office_ids))
      AND (CAST(:service_ids AS bigint[]) IS NULL OR u.service_id = ANY(:service_ids))
"""


def _keys(group_by: Sequence[Grouping], period: str | None = None) -> dict[str, str]:
    """Output column -> SQL, in the order asked; `period` replaces the period's own expression."""
    keys = {_KEYS[g][0]: _KEYS[g][1] for g in group_by}
    if period is not None and "period" in keys:
        keys["period"] = period
    return keys


def key_columns(group_by: Sequence[Grouping]) -> list[str]:
    """The output columns of the keys, in the order the rows are sorted by."""
    return list(_keys(group_by))


def _selected(keys: dict[str, str]) -> str:
    return ", ".join(f"{keys.get(name, 'NULL')} AS {name}" for name in OUTPUT_KEYS)


def _order(keys: dict[str, str]) -> str:
    return ", ".join(f"{name} NULLS FIRST" for name in keys)


def counts_sql(group_by: Sequence[Grouping], limit: int | None = None) -> str:
    """The groups' counts in key order (no totals row: the caller adds the groups up), from the hourly
    counts (visit_counts) and the unmet searches, each added up on its own (so that PostgreSQL may add
    the first in parallel: the unmet searches' zone lookup would keep the whole on one core), then
    together per group."""
    keys = _keys(group_by)
    columns = ", ".join(keys)
    sums = ", ".join(f"CAST(sum({name}) AS bigint) AS {name}" for name in COUNTS)
    counted = ", ".join(f"{'0' if name == 'unmet_searches' else f'sum({name})'} AS {name}" for name in COUNTS)
    unmet = ", ".join("sum(searches)" if name == "unmet_searches" else "0" for name in COUNTS)
    group_inner = f"GROUP BY {', '.join(keys.values())}" if keys else ""
    group_outer = f"GROUP BY {columns} ORDER BY {_order(keys)}" if keys else ""
    return f"""
        SELECT {_selected({name: name for name in keys})}, {sums}
        FROM (
            SELECT {_selected(keys)}, {counted}
            FROM visit_counts WHERE {_FILTERS}
            {group_inner}
            UNION ALL
            SELECT {_selected(keys)}, {unmet}
            FROM ({_UNMET}) AS unmet WHERE local_date BETWEEN :date_from AND :date_to
            {group_inner}
        ) AS counted
        {group_outer}
        {f"LIMIT {int(limit)}" if limit is not None and keys else ""}
    """


def period_starts(group_by: Sequence[Grouping], date_from: date, date_to: date) -> list[date] | None:
    """The first day of every week (Monday) or month that [date_from, date_to] touches, when grouping by
    weeks or months (`:period_starts` of percentiles_sql); else None."""
    if Grouping.WEEK in group_by:
        first = date_from - timedelta(days=date_from.weekday())
        return [first + timedelta(weeks=n) for n in range((date_to - first).days // 7 + 1)]
    if Grouping.MONTH not in group_by:
        return None
    starts, month = [], date_from.replace(day=1)
    while month <= date_to:
        starts.append(month)
        month = (month + timedelta(days=31)).replace(day=1)
    return starts


def percentiles_sql(
    measure: Measure, group_by: Sequence[Grouping], limit: int | None = None, *, totals: bool = True
) -> str:
    """A measure's median and 90th percentile (`values`: [p50, p90]) per group in key order, then (with
    `totals`) of all (`is_total`), over the measure's own index. Weeks and months come from
    `:period_starts`."""
    values = f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {measure.column}) AS values"
    where = f"WHERE {_FILTERS} AND {measure.rows}"
    if not group_by:
        return f"SELECT {_selected({})}, true AS is_total, {values} FROM visit_facts {where}"
    last = f"LIMIT {int(limit) + 1}" if limit is not None else ""
    step = next((_PERIOD_STEP[g] for g in group_by if g in _PERIOD_STEP), None)
    if step is None and len(group_by) <= _MOST_KEYS_GATHERED:
        return _gathered_percentiles_sql(measure, _keys(group_by), where, last, totals)
    source = "visit_facts"
    if step is not None:
        source = f"""(SELECT start, CAST(start + {step} AS date) AS stop
                      FROM unnest(CAST(:period_starts AS date[])) AS start ORDER BY start) AS periods
                     JOIN visit_facts ON local_date >= periods.start AND local_date < periods.stop"""
    keys = _keys(group_by, "periods.start" if step is not None else None)
    expressions = ", ".join(keys.values())
    # one sort (none for a period: it comes in the index's order) for the groups and the totals
    grouping = f"GROUPING SETS (({expressions}), ())" if totals else expressions
    return f"""
        SELECT {_selected(keys)}, {f"GROUPING({expressions}) <> 0" if totals else "false"} AS is_total, {values}
        FROM {source}
        {where}
        GROUP BY {grouping}
        ORDER BY is_total, {_order(keys)}
        {last}
    """


# Up to this many keys that are not a period (each office, procedure, weekday or hour), the groups are few
# enough to gather each one's values in memory.
_MOST_KEYS_GATHERED = 2


def _gathered_percentiles_sql(measure: Measure, keys: dict[str, str], where: str, last: str, totals: bool) -> str:
    """Keys that the index is not in the order of: each group's values gathered by hashing (array_agg), then
    each group's sorted on its own, instead of sorting every row by its key first (about a third less
    work by weekday and hour); the totals sort them all once more."""
    of = "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY value)"
    all_values = f"UNION ALL SELECT {_selected({})}, true, {of} FROM gathered, unnest(gathered.measured) AS value"
    return f"""
        WITH gathered AS (
            SELECT {", ".join(f"{sql} AS {name}" for name, sql in keys.items())},
                   array_agg({measure.column}) AS measured
            FROM visit_facts {where}
            GROUP BY {", ".join(keys.values())}
        )
        SELECT {_selected({name: name for name in keys})}, false AS is_total,
               (SELECT {of} FROM unnest(gathered.measured) AS value) AS values
        FROM gathered
        {all_values if totals else ""}
        ORDER BY is_total, {_order(keys)}
        {last}
    """
