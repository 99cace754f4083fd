"""`stats`: what managers measure, for any offices, services and period, grouped as they ask.

Over visit_facts (and unmet_searches): counts with FILTER, and the median and 90th percentile of waits,
service times and lead times with percentile_cont (continuous, linear interpolation between the two
nearest values, as PostgreSQL and NumPy's default define it). The statements are in stats_sql; here they
are checked, run together and merged into rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import NotAllowedError, ValidationFailed
from core.messages import msg
from core.validation import parse_id
from models.accounts import Role
from models.analytics import MEASURES
from models.catalogue import Office, Service
from resolvers.accounts.viewer import Viewer
from resolvers.analytics import answers
from resolvers.analytics.facts import refresh_facts
from resolvers.analytics.stats_records import EVERY_MEASURE, Scope, StatsQuery, StatsRowRecord
from resolvers.analytics.stats_sql import (
    COUNTS,
    OUTPUT_KEYS,
    PERIODS,
    Grouping,
    counts_sql,
    key_columns,
    percentiles_sql,
    period_starts,
)
from resolvers.sql import any_id

__all__ = [
    "EVERY_MEASURE",
    "Grouping",
    "Scope",
    "StatsFilter",
    "StatsQuery",
    "StatsRowRecord",
    "check_filter",
    "stats",
    "stats_rows",
]

logger = logging.getLogger("turnero.analytics")

MAX_RANGE_DAYS = 366
MAX_IDS = 500
# a GraphQL answer holds at most this many rows; the CSV export streams any number
MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class StatsFilter:
    date_from: date
    date_to: date
    office_ids: Sequence[str] | None = None
    service_ids: Sequence[str] | None = None
    group_by: Sequence[Grouping] = ()


def _ids(field: str, values: Sequence[str] | None) -> list[int] | None:
    if values is None:
        return None
    if len(values) > MAX_IDS:
        raise ValidationFailed(field, msg("{field} may hold at most {count} IDs.", field=field, count=MAX_IDS))
    ids: list[int] = []
    for index, value in enumerate(values):
        number = parse_id(value)
        if number is None:
            raise ValidationFailed(f"{field}.{index}", msg("{value} is not a valid ID.", value=repr(value)))
        ids.append(number)
    return sorted(set(ids))


async def _require_known(conn: AsyncConnection, field: str, model: type[Office | Service], ids: list[int]) -> None:
    found = set((await conn.execute(select(model.id).where(model.id == any_id(ids)))).scalars())
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        listed = ", ".join(unknown)
        refusal = (
            msg("Unknown offices in {field}: {ids}.", field=field, ids=listed)
            if model is Office
            else msg("Unknown services in {field}: {ids}.", field=field, ids=listed)
        )
        raise ValidationFailed(field, refusal)


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
        raise ValidationFailed("filter.to", msg("Ask for at most {count} days at a time.", count=MAX_RANGE_DAYS))
    group_by = tuple(dict.fromkeys(data.group_by))
    if sum(g in PERIODS for g in group_by) > 1:
        raise ValidationFailed("groupBy", "Group by one period at a time: DAY, WEEK or MONTH.")
    office_ids = _ids("filter.officeIds", data.office_ids)
    service_ids = _ids("filter.serviceIds", data.service_ids)
    if office_ids:
        await _require_known(conn, "filter.officeIds", Office, office_ids)
        if allowed is not None and not set(office_ids) <= set(allowed):
            raise NotAllowedError("You may read the figures of the offices you manage only.")
    if service_ids:
        await _require_known(conn, "filter.serviceIds", Service, service_ids)
    if office_ids is None or not office_ids:
        office_ids = allowed
    return StatsQuery(data.date_from, data.date_to, office_ids, service_ids or None, group_by)


def _reaches_today(query: StatsQuery, first_open: date) -> bool:
    """Whether the period holds a day that is today (or later) somewhere among the offices, and not only
    days ahead."""
    return query.date_to >= first_open and query.date_from <= datetime.now(UTC).date() + timedelta(days=1)


async def _refresh_today(engine: AsyncEngine, query: StatsQuery) -> None:
    """A period that reaches today reads today's facts as they are now, not as the last job left them
    (yesterday to tomorrow: that is today in every zone).

    A write of its own, committed before the figures are read (never the caller's read transaction): the
    percentiles run on connections of their own, which see only committed facts, and the refresh's lock
    is let go at once rather than held for the whole read."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await refresh_facts(conn, now - timedelta(hours=36), now + timedelta(hours=36), query.office_ids)


# How long a read waits for the replica to replay what the primary has written (the refresh just made, the
# facts a kept answer is computed from) before it reads the primary instead: a streaming replica a few
# milliseconds behind catches up well within it; one paused or far behind is not waited for.
REPLICA_CATCH_UP_SECONDS = 1.0
# a hot standby replays; a server that is not one (DATABASE_READ_URL naming the primary) has it all
_REPLAYED = text("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn)")


async def _reader(engine: AsyncEngine, replica: AsyncEngine | None, written: str | None) -> AsyncEngine:
    """Where the figures are read: the replica once it has replayed the primary's WAL up to `written` (None:
    no position to wait for), else the primary. Unreachable: the primary, as lagging_read does."""
    if replica is None:
        return engine
    try:
        async with replica.connect() as conn:
            if written is None:
                return replica
            deadline = asyncio.get_running_loop().time() + REPLICA_CATCH_UP_SECONDS
            # a standby announces no replay: polling its position is the only way to wait for it
            while not (await conn.execute(_REPLAYED, {"lsn": written})).scalar_one():
                if asyncio.get_running_loop().time() >= deadline:
                    logger.info("replica behind the primary's %s: stats read the primary", written)
                    return engine
                await asyncio.sleep(0.005)
            return replica
    except (OSError, DBAPIError) as error:
        logger.warning("replica unreachable, stats read the primary: %s: %s", type(error).__name__, error)
        return engine


# the facts' generation and the primary's WAL position, read in one round trip after the refresh
_POSITION = text(
    "SELECT coalesce((SELECT generation FROM stats_facts_generation WHERE id = 1), 0) AS generation,"
    " CAST(pg_current_wal_lsn() AS text) AS written"
)


def _parameters(query: StatsQuery) -> dict[str, Any]:
    return {
        "date_from": query.date_from,
        "date_to": query.date_to,
        "office_ids": query.office_ids,
        "service_ids": query.service_ids,
    }


def _record(
    total: bool, row: Mapping[Any, Any], counts: Mapping[str, int], values: Mapping[Any, Any]
) -> StatsRowRecord:
    """One row of figures: the counts and sums of its group, and each measure's [p50, p90] (seconds)."""

    def percentile(measure: str, index: int, unit: int) -> float | None:
        found = values.get(measure)
        return None if found is None or found[index] is None else float(found[index]) / unit

    def mean(total_value: int, count: int, unit: int = 1) -> float | None:
        return total_value / (count * unit) if count else None

    estimates = counts["estimate_count"]
    return StatsRowRecord(
        total=total,
        period=row["period"],
        weekday=row["weekday"],
        hour=row["hour"],
        office_id=row["office_id"],
        service_id=row["service_id"],
        booked=counts["booked"],
        cancelled=counts["cancelled"],
        came=counts["came"],
        no_shows=counts["no_shows"],
        walk_ins=counts["walk_ins"],
        served=counts["served"],
        unmet_searches=counts["unmet_searches"],
        wait_median_minutes=percentile("wait", 0, 60),
        wait_p90_minutes=percentile("wait", 1, 60),
        service_median_minutes=percentile("service", 0, 60),
        service_p90_minutes=percentile("service", 1, 60),
        lead_time_median_days=percentile("lead", 0, 86400),
        lead_time_p90_days=percentile("lead", 1, 86400),
        rating_count=counts["rating_count"],
        rating_average=mean(counts["rating_sum"], counts["rating_count"]),
        ratings=(counts["rating_1"], counts["rating_2"], counts["rating_3"], counts["rating_4"], counts["rating_5"]),
        estimate_count=estimates,
        estimate_mean_minutes=mean(counts["estimate_minutes_sum"], estimates),
        actual_mean_minutes=mean(counts["called_after_seconds_sum"], estimates, 60),
        estimate_mean_absolute_error_minutes=mean(counts["estimate_error_seconds_sum"], estimates, 60),
    )


# For this transaction only (set_config's `true`: SET LOCAL), on each connection, in one round trip.
_SETTINGS = select(
    # the sorts (by group key, and of each measure for its percentiles) stay in memory up to this
    func.set_config("work_mem", "64MB", True),
    # read through a cursor, but every row is wanted: plan for the whole result, not for the first rows
    func.set_config("cursor_tuple_fraction", "1.0", True),
    # the planner cannot know how many days a week or month joins to, and a compiled plan for the rows it
    # guesses costs more than these statements take
    func.set_config("jit", "off", True),
)


async def _prepare(conn: AsyncConnection) -> None:
    await conn.execute(_SETTINGS)


async def _rows(
    conn: AsyncConnection, sql: str, parameters: dict[str, Any], stream: bool
) -> AsyncGenerator[Mapping[Any, Any], None]:
    """A statement's rows: streamed through a cursor (any number, but PostgreSQL plans a cursor without
    parallel workers), or read at once (bounded by a LIMIT). Native: stats_sql's statements (GROUPING SETS,
    percentile arrays, gathered groups, each measure over its own partial index) are SQL by design."""
    await _prepare(conn)
    if stream:
        result = await conn.stream(text(sql), parameters)
        async for row in result.mappings():
            yield row
    else:
        for row in (await conn.execute(text(sql), parameters)).mappings():
            yield row


def _sort_key(row: Mapping[Any, Any], columns: Sequence[str]) -> tuple[tuple[bool, Any], ...]:
    """The statements' ORDER BY (the keys as asked, NULLS FIRST) in Python."""
    return tuple((row[name] is not None, row[name]) for name in columns)


async def _merged(
    counts: AsyncIterator[Mapping[Any, Any]],
    percentiles: dict[str, AsyncIterator[Mapping[Any, Any]]],
    columns: Sequence[str],
) -> AsyncGenerator[StatsRowRecord, None]:
    """Each group's counts joined to its percentiles (all in key order; a group without a measure's values
    is missing from that measure's rows), then the totals: the counts added up, each measure's own."""
    streams = [counts, *percentiles.values()]
    # the first row of each is where each statement does its work: wait for them all at once
    try:
        async with asyncio.TaskGroup() as started:  # one failing stops the others before their connections go
            firsts = [started.create_task(anext(stream, None)) for stream in streams]
    except ExceptionGroup as failed:  # the first cause, as one statement alone would have raised it
        raise failed.exceptions[0] from None
    first = [task.result() for task in firsts]
    row, peeked = first[0], dict(zip(percentiles, first[1:], strict=True))
    if not columns:  # no groups: the one row is the totals
        if row is not None:
            values = {name: p["values"] for name, p in peeked.items() if p is not None}
            yield _record(True, row, row, values)
        return
    totals = dict.fromkeys(COUNTS, 0)
    while row is not None:
        key = _sort_key(row, columns)
        values = {}
        for name, stream in percentiles.items():
            while (p := peeked[name]) is not None and not p["is_total"] and (at := _sort_key(p, columns)) <= key:
                if at == key:
                    values[name] = p["values"]
                peeked[name] = await anext(stream, None)
        for count in COUNTS:
            totals[count] += row[count]
        yield _record(False, row, row, values)
        row = await anext(counts, None)
    values = {name: p["values"] for name, p in peeked.items() if p is not None and p["is_total"]}
    yield _record(True, dict.fromkeys(OUTPUT_KEYS), totals, values)


async def stats_rows(
    conn: AsyncConnection,
    query: StatsQuery,
    engine: AsyncEngine,
    limit: int | None = None,
    percentiles_of: Mapping[str, Scope] = EVERY_MEASURE,
    replica: AsyncEngine | None = None,
) -> AsyncGenerator[StatsRowRecord, None]:
    """The groups in key order, then the totals row. With `limit`, at most that many groups are read;
    without, any number, streamed from the server and never all in memory. The percentiles of the measures
    (by name) in `percentiles_of` only, and only where their scope says; the others are None.

    `conn` and `engine` are the primary's: today's facts are refreshed there, and kept answers read and
    stored there (answers.py: a period of closed days is served whole when kept, and kept once computed).
    The figures are read on `replica` (DATABASE_READ_URL) when given and caught up with what the primary
    had written after the refresh; else on the primary: the counts on `conn`, each measure's percentiles on
    a connection of its own, all at the same time (stats_sql says why).
    """
    first_open = await answers.first_open_day(conn)
    # closed days are as the worker's refresh left them (every 5 minutes, and nightly for five weeks back)
    reaches_today = _reaches_today(query, first_open)
    if reaches_today:
        await _refresh_today(engine, query)
    closed = answers.is_closed(query, first_open)
    if closed and (kept := await answers.kept_answer(conn, query, percentiles_of)) is not None:
        for record in kept:
            yield record
        return
    generation: int | None = None
    written: str | None = None
    if closed or (replica is not None and reaches_today):
        # before any fact is read: what a kept answer is computed from, and where the replica must be
        found = (await conn.execute(_POSITION)).one()
        generation, written = found.generation, found.written
    source = await _reader(engine, replica, written)
    parameters = {**_parameters(query), "period_starts": period_starts(query.group_by, query.date_from, query.date_to)}
    stream = limit is None
    computed: list[StatsRowRecord] = []
    async with contextlib.AsyncExitStack() as stack:
        percentiles: dict[str, AsyncIterator[Mapping[Any, Any]]] = {}
        for measure in MEASURES:
            scope = percentiles_of.get(measure.name)
            if scope is None:
                continue
            own = await stack.enter_async_context(source.connect())
            groups = query.group_by if scope is not Scope.TOTALS else ()
            sql = percentiles_sql(measure, groups, limit, totals=scope is not Scope.GROUPS)
            percentiles[measure.name] = await stack.enter_async_context(
                contextlib.aclosing(_rows(own, sql, parameters, stream))
            )
        counting = conn if source is engine else await stack.enter_async_context(source.connect())
        counts = await stack.enter_async_context(
            contextlib.aclosing(_rows(counting, counts_sql(query.group_by, limit), parameters, stream))
        )
        async with contextlib.aclosing(_merged(counts, percentiles, key_columns(query.group_by))) as records:
            async for record in records:
                if generation is not None:
                    computed.append(record)
                yield record
    # kept only whole: every group read (fewer than the limit) and the caller read to the end
    if generation is not None and (limit is None or len(computed) <= limit):
        await answers.keep_answer(engine, query, percentiles_of, computed, generation)


async def stats(
    conn: AsyncConnection,
    viewer: Viewer,
    data: StatsFilter,
    engine: AsyncEngine,
    percentiles_of: Mapping[str, Scope] = EVERY_MEASURE,
    replica: AsyncEngine | None = None,
) -> list[StatsRowRecord]:
    query = await check_filter(conn, viewer, data)
    rows: list[StatsRowRecord] = []
    # one group past the most an answer holds is enough to refuse: read no more than that
    found = stats_rows(conn, query, engine, MAX_ROWS + 1, percentiles_of, replica)
    async with contextlib.aclosing(found):
        async for row in found:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise ValidationFailed(
                    "groupBy",
                    msg("More than {count} groups: group more coarsely, or use the CSV export.", count=MAX_ROWS),
                )
    return rows


async def compute_ahead(engine: AsyncEngine, replica: AsyncEngine | None = None) -> int:
    """The worker's part (answers.py): every grouping of every span managers ask most, over the closed days,
    computed and kept if not kept already (a refresh that changed one of their days deleted it). How many
    were computed."""
    async with engine.connect() as conn:
        periods = answers.ahead_periods(await answers.first_open_day(conn))
    computed = 0
    for date_from, date_to in periods:
        for group_by in answers.AHEAD_GROUPINGS:
            query = StatsQuery(date_from, date_to, None, None, group_by)
            async with engine.connect() as conn:
                if await answers.kept_answer(conn, query, EVERY_MEASURE) is not None:
                    continue
                async with contextlib.aclosing(stats_rows(conn, query, engine, replica=replica)) as rows:
                    async for _ in rows:
                        pass
            computed += 1
    return computed
