"""The percentiles of `stats` are percentile_cont's over the values in seconds: every group's and the totals'
median and 90th percentile, for groupings of every kind (by period through its index order, by week and month
through their date ranges, by up to two other keys gathered, by more sorted), against the definition worked
out here from the facts themselves. Issue 18 measures faster ways to these figures: this is what they must give
(on values anywhere within their minutes, half minutes included)."""

from __future__ import annotations

import contextlib
import math
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from core.runtime import AppState
from models.analytics import MEASURES, VisitFact
from resolvers.analytics.facts import COUNT_COLUMNS, COUNTS_OF_FACTS
from resolvers.analytics.stats import Grouping, StatsQuery, StatsRowRecord, stats_rows
from tests.support.analytics import FixedCity, fixed_city
from tests.support.api import Api

FIRST = date(2025, 6, 2)  # long past: a query of it refreshes no facts
DAYS = 40
# grouping -> the key of a fact (local day, hour, office, service) as the rows give it
KEYS: dict[Grouping, Callable[[date, int, int, int], Any]] = {
    Grouping.DAY: lambda day, hour, office, service: day,
    Grouping.WEEK: lambda day, hour, office, service: day - timedelta(days=day.weekday()),
    Grouping.MONTH: lambda day, hour, office, service: day.replace(day=1),
    Grouping.WEEKDAY: lambda day, hour, office, service: day.isoweekday(),
    Grouping.HOUR: lambda day, hour, office, service: hour,
    Grouping.OFFICE: lambda day, hour, office, service: office,
    Grouping.SERVICE: lambda day, hour, office, service: service,
}
FIELDS = {Grouping.DAY: "period", Grouping.WEEK: "period", Grouping.MONTH: "period"} | {
    g: g.value.lower() if g in (Grouping.WEEKDAY, Grouping.HOUR) else f"{g.value.lower()}_id"
    for g in (Grouping.WEEKDAY, Grouping.HOUR, Grouping.OFFICE, Grouping.SERVICE)
}


def percentile_cont(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    below, above = ordered[math.floor(rank)], ordered[math.ceil(rank)]
    return below + (rank - math.floor(rank)) * (above - below)


@pytest.fixture
async def facts(api: Api, state: AppState, admin_token: str) -> list[dict[str, Any]]:
    city: FixedCity = await fixed_city(api, state, admin_token)
    offices, services = [int(city.cordoba), int(city.madrid)], [int(city.dni), int(city.licence)]
    rng = random.Random(18)
    rows = []
    for n in range(600):
        day = FIRST + timedelta(days=rng.randrange(DAYS))
        hour = rng.randrange(8, 14)
        ticket = n % 3 != 0
        waited = rng.choice([rng.randrange(0, 5400), 60 * rng.randrange(90) + 30, 60 * rng.randrange(90)])
        rows.append(
            {
                "kind": "T" if ticket else "B",
                "source_id": 10_000_000 + n,
                "office_id": rng.choice(offices),
                "service_id": rng.choice(services),
                "at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour),
                "local_date": day,
                "local_hour": hour,
                "booked": not ticket and n % 5 != 0,
                "cancelled": not ticket and n % 5 == 0,
                "came": False,
                "no_show": False,
                "walk_in": ticket,
                "served": ticket,
                "lead_seconds": None if ticket else rng.randrange(0, 40 * 86400),
                "wait_seconds": waited if ticket and n % 7 else None,
                "service_seconds": rng.randrange(30, 2400) if ticket and n % 4 else None,
                "estimated_wait_minutes": None,
                "called_after_seconds": None,
                "rating": None,
            }
        )
    async with state.engine.begin() as conn:
        await conn.execute(insert(VisitFact), rows)
        # and their hourly counts, as the facts' refresh keeps them (the groups are the counts')
        keys = "office_id, service_id, local_date, local_hour"
        await conn.execute(
            text(f"""INSERT INTO visit_counts ({keys}, {", ".join(COUNT_COLUMNS)})
                     SELECT {keys}, {COUNTS_OF_FACTS} FROM visit_facts WHERE source_id >= 10000000 GROUP BY {keys}""")
        )
    return rows


def expected(facts: list[dict[str, Any]], group_by: tuple[Grouping, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each group's (and the totals', key ()) [p50, p90] per measure, in the units of the rows."""
    values: dict[tuple[Any, ...], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for fact in facts:
        key = tuple(
            KEYS[g](fact["local_date"], fact["local_hour"], fact["office_id"], fact["service_id"]) for g in group_by
        )
        values.setdefault(key, defaultdict(list))  # every group with facts is a row, with figures or without
        for measure in MEASURES:
            has = fact["booked"] if measure.name == "lead" else fact[measure.column] is not None
            if has:
                value = fact[measure.column]
                values[key][measure.name].append(value)
                values[("totals",)][measure.name].append(value)
    unit = {"wait": 60, "service": 60, "lead": 86400}  # minutes, minutes, days
    return {
        key: {
            name: [percentile_cont(found, f) / unit[name] for f in (0.5, 0.9)] if found else [None, None]
            for name in unit
            for found in [measures.get(name, [])]
        }
        for key, measures in values.items()
    }


def given(row: StatsRowRecord) -> dict[str, list[float | None]]:
    return {
        "wait": [row.wait_median_minutes, row.wait_p90_minutes],
        "service": [row.service_median_minutes, row.service_p90_minutes],
        "lead": [row.lead_time_median_days, row.lead_time_p90_days],
    }


def same(actual: dict[str, list[float | None]], wanted: dict[str, list[float | None]]) -> bool:
    return all(
        (a is None and w is None) or (a is not None and w is not None and abs(a - w) < 1e-9)
        for name in wanted
        for a, w in zip(actual[name], wanted[name], strict=True)
    )


@pytest.mark.parametrize(
    "group_by",
    [
        (),
        (Grouping.DAY,),
        (Grouping.WEEK,),
        (Grouping.MONTH, Grouping.OFFICE),
        (Grouping.WEEKDAY, Grouping.HOUR),
        (Grouping.OFFICE, Grouping.SERVICE),
        (Grouping.SERVICE, Grouping.DAY, Grouping.HOUR),
    ],
)
async def test_every_percentile_is_percentile_cont_over_seconds(
    state: AppState, facts: list[dict[str, Any]], group_by: tuple[Grouping, ...]
) -> None:
    last = FIRST + timedelta(days=DAYS - 1)
    query = StatsQuery(FIRST, last, None, None, group_by)
    async with state.engine.connect() as conn:
        async with contextlib.aclosing(stats_rows(conn, query, state.engine)) as found:
            rows = [row async for row in found]
    wanted = expected(facts, group_by)
    assert rows[-1].total
    assert same(given(rows[-1]), wanted[("totals",)])
    groups = rows[:-1]
    assert len(groups) == len(wanted) - 1 if group_by else not groups
    for row in groups:
        key = tuple(getattr(row, FIELDS[g]) for g in group_by)
        assert same(given(row), wanted[key]), (key, given(row), wanted[key])
