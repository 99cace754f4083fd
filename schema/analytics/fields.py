"""Analytics root fields: MANAGER (offices they manage) and ADMIN."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from resolvers.analytics import live, stats
from resolvers.analytics.stats import Grouping, Scope
from schema.analytics.types import OfficeLive, Stats, StatsFilterInput, stats_rows
from schema.context import Info
from schema.errors import NotAllowed, ValidationError
from schema.operation import run_read

StatsResult = Annotated[Stats | ValidationError | NotAllowed, strawberry.union("StatsResult")]
OfficeLiveResult = Annotated[OfficeLive | ValidationError | NotAllowed, strawberry.union("OfficeLiveResult")]


def stats_filter(data: StatsFilterInput, group_by: list[Grouping]) -> stats.StatsFilter:
    return stats.StatsFilter(
        date_from=data.date_from,
        date_to=data.to,
        office_ids=None if data.office_ids is None else [str(i) for i in data.office_ids],
        service_ids=None if data.service_ids is None else [str(i) for i in data.service_ids],
        group_by=tuple(group_by),
    )


# the fields of a StatsRow that need a measure's percentiles (the measure's name in models.analytics.MEASURES)
MEASURE_FIELDS = {
    "wait": {"waitMedianMinutes", "waitP90Minutes"},
    "service": {"serviceMedianMinutes", "serviceP90Minutes"},
    "lead": {"leadTimeMedianDays", "leadTimeP90Days"},
}


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields selected at this level, those inside fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def _asked(selections: Iterable[Selection], part: str) -> set[str]:
    """The fields asked of `rows` or `totals`, wherever in the fragments of the answer they are."""
    return {field.name for found in _fields(selections) if found.name == part for field in _fields(found.selections)}


def percentiles_asked(info: Info) -> dict[str, Scope]:
    """Which measures' percentiles the query asks for, of the groups or of the totals only: each one costs
    a sort of every value of the period, so a figure nobody reads is not worked out."""
    selections = [s for field in info.selected_fields for s in field.selections]
    rows, totals = _asked(selections, "rows"), _asked(selections, "totals")
    scopes: dict[str, Scope] = {}
    for measure, fields in MEASURE_FIELDS.items():
        if fields & rows:
            scopes[measure] = Scope.GROUPS_AND_TOTALS if fields & totals else Scope.GROUPS
        elif fields & totals:
            scopes[measure] = Scope.TOTALS
    return scopes


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="MANAGER (offices they manage) and ADMIN: bookings, attendance, waits, service times, lead "
        "times, ratings, unmet demand and estimate honesty, grouped as asked, with totals. The same figures as "
        "CSV: GET /analytics/stats.csv."
    )
    async def stats(self, info: Info, filter: StatsFilterInput, group_by: list[Grouping] | None = None) -> StatsResult:
        viewer = info.context.viewer
        data = stats_filter(filter, group_by or [])
        engine = info.context.state.engine
        # the figures are read on the replica when there is one (and it has caught up: stats_rows)
        replica = info.context.state.replica
        asked = percentiles_asked(info)
        most = stats_rows(
            {
                "filter": {
                    "from": data.date_from,
                    "to": data.date_to,
                    "officeIds": data.office_ids,
                    "serviceIds": data.service_ids,
                },
                "groupBy": data.group_by,
            }
        )
        return await run_read(
            info,
            lambda conn: stats.stats(conn, viewer, data, engine, asked, replica),
            lambda records: Stats.from_records(records, most),
        )

    @strawberry.field(description="MANAGER of the office and ADMIN: the office's lines, desks and occupancy now.")
    async def office_live(self, info: Info, office_id: strawberry.ID) -> OfficeLiveResult:
        viewer = info.context.viewer
        return await run_read(info, lambda conn: live.office_live(conn, viewer, office_id), OfficeLive.from_record)
