"""Analytics root fields: MANAGER (offices they manage) and ADMIN."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.analytics import live, stats
from resolvers.analytics.stats import Grouping
from schema.analytics.types import OfficeLive, Stats, StatsFilterInput
from schema.context import Info
from schema.errors import NotAllowed, ValidationError, run_read

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
        return await run_read(info, lambda conn: stats.stats(conn, viewer, data, engine), Stats.from_records)

    @strawberry.field(description="MANAGER of the office and ADMIN: the office's lines, desks and occupancy now.")
    async def office_live(self, info: Info, office_id: strawberry.ID) -> OfficeLiveResult:
        viewer = info.context.viewer
        return await run_read(info, lambda conn: live.office_live(conn, viewer, office_id), OfficeLive.from_record)
