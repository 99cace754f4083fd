"""What analytics answer: rows of figures per group, and an office's load right now."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.analytics.live import OfficeLiveRecord, ServiceLiveRecord
from resolvers.analytics.stats import MAX_RANGE_DAYS, MAX_ROWS, Grouping, StatsRowRecord
from schema.bounds import MAX_OFFICES, MAX_SERVICES, Arguments, ListBound, count_or, days_between
from schema.catalogue.types import Office, Service, load_office, load_service
from schema.context import Info

strawberry.enum(
    Grouping,
    description="How stats rows are grouped, in each office's own time zone. DAY, WEEK (ISO, from Monday) and "
    "MONTH give `period`; WEEKDAY (1 Monday .. 7 Sunday); HOUR (0-23, local); OFFICE; SERVICE.",
)


@strawberry.input(
    description="Which figures: a period of local dates (both included) and, optionally, offices and "
    "services. A manager without officeIds reads the offices they manage."
)
class StatsFilterInput:
    date_from: date = strawberry.field(name="from")
    to: date
    office_ids: list[strawberry.ID] | None = None
    service_ids: list[strawberry.ID] | None = None


@strawberry.type(description="The figures of one group (or, with total, of everything asked).")
class StatsRow:
    total: bool = strawberry.field(description="The totals of every group asked, not one group.")
    period: date | None = strawberry.field(description="First local day of the DAY, WEEK or MONTH grouped by.")
    weekday: int | None
    hour: int | None
    booked: int = strawberry.field(description="Appointments in the period, not cancelled.")
    cancelled: int
    came: int = strawberry.field(description="Appointments checked in.")
    no_shows: int
    no_show_rate: float | None = strawberry.field(
        description="noShows / (came + noShows): among appointments whose outcome is known."
    )
    walk_ins: int = strawberry.field(description="Tickets without an appointment (transfers not counted again).")
    served: int = strawberry.field(description="Tickets completed.")
    demand: int = strawberry.field(description="booked + walkIns.")
    unmet_searches: int = strawberry.field(
        description="Searches (availability, earliestSlots) that found no free slot."
    )
    wait_median_minutes: float | None = strawberry.field(
        description="From arrival (or the appointment's start, if earlier) to the first call. Percentiles are "
        "continuous (percentile_cont: linear interpolation between the nearest values)."
    )
    wait_p90_minutes: float | None
    service_median_minutes: float | None = strawberry.field(description="From start to end of service.")
    service_p90_minutes: float | None
    lead_time_median_days: float | None = strawberry.field(
        description="From booking to appointment, of appointments not cancelled."
    )
    lead_time_p90_days: float | None
    rating_count: int
    rating_average: float | None
    ratings: list[int] = strawberry.field(description="How many gave 1, 2, 3, 4 and 5.", extensions=[ListBound(5)])
    estimate_count: int = strawberry.field(description="Tickets given an estimate at issue and since called.")
    estimate_mean_minutes: float | None = strawberry.field(description="The mean wait announced at issue.")
    actual_mean_minutes: float | None = strawberry.field(description="The mean wait from issue to first call.")
    estimate_bias_minutes: float | None = strawberry.field(
        description="actual - announced: positive when people waited longer than they were told."
    )
    estimate_mean_absolute_error_minutes: float | None
    office_pk: strawberry.Private[int | None]
    service_pk: strawberry.Private[int | None]

    @strawberry.field
    async def office(self, info: Info) -> Office | None:
        return await load_office(info, self.office_pk) if self.office_pk is not None else None

    @strawberry.field
    async def service(self, info: Info) -> Service | None:
        return await load_service(info, self.service_pk) if self.service_pk is not None else None

    @classmethod
    def from_record(cls, record: StatsRowRecord) -> StatsRow:
        return cls(
            total=record.total,
            period=record.period,
            weekday=record.weekday,
            hour=record.hour,
            booked=record.booked,
            cancelled=record.cancelled,
            came=record.came,
            no_shows=record.no_shows,
            no_show_rate=record.no_show_rate,
            walk_ins=record.walk_ins,
            served=record.served,
            demand=record.demand,
            unmet_searches=record.unmet_searches,
            wait_median_minutes=record.wait_median_minutes,
            wait_p90_minutes=record.wait_p90_minutes,
            service_median_minutes=record.service_median_minutes,
            service_p90_minutes=record.service_p90_minutes,
            lead_time_median_days=record.lead_time_median_days,
            lead_time_p90_days=record.lead_time_p90_days,
            rating_count=record.rating_count,
            rating_average=record.rating_average,
            ratings=list(record.ratings),
            estimate_count=record.estimate_count,
            estimate_mean_minutes=record.estimate_mean_minutes,
            actual_mean_minutes=record.actual_mean_minutes,
            estimate_bias_minutes=record.estimate_bias_minutes,
            estimate_mean_absolute_error_minutes=record.estimate_mean_absolute_error_minutes,
            office_pk=record.office_id,
            service_pk=record.service_id,
        )


def stats_rows(arguments: Arguments) -> int:
    """The most groups `stats(filter, groupBy)` can answer: each key's values in the filter, multiplied."""
    period = arguments.get("filter") or {}
    days = days_between(period, "from", "to", MAX_RANGE_DAYS)
    start, end = period.get("from"), period.get("to")
    months = 13
    if isinstance(start, date) and isinstance(end, date) and days < MAX_RANGE_DAYS:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
    values = {
        Grouping.DAY: days,
        Grouping.WEEK: days // 7 + 2,
        Grouping.MONTH: months,
        Grouping.WEEKDAY: 7,
        Grouping.HOUR: 24,
        # city-wide searches count under no office
        Grouping.OFFICE: count_or(period.get("officeIds"), MAX_OFFICES) + 1,
        Grouping.SERVICE: count_or(period.get("serviceIds"), MAX_SERVICES),
    }
    groups = 1
    for key in set(arguments.get("groupBy") or ()):
        groups *= values.get(key, MAX_ROWS)
    return min(groups, MAX_ROWS)


@strawberry.type
class Stats:
    rows: list[StatsRow] = strawberry.field(
        description="One per group, in the order of the keys.",
        extensions=[ListBound(MAX_ROWS, parent_size=stats_rows)],
    )
    totals: StatsRow

    @classmethod
    def from_records(cls, records: list[StatsRowRecord], most: int = MAX_ROWS) -> Stats:
        """`most`: what the query's cost counted on (stats_rows of its arguments)."""
        rows = [StatsRow.from_record(r) for r in records]
        return cls(rows=[r for r in rows if not r.total][:most], totals=next(r for r in rows if r.total))


@strawberry.type
class ServiceLive:
    waiting: int
    called: int
    serving: int
    longest_wait_minutes: float | None
    served_today: int = strawberry.field(description="Tickets of this procedure finished today.")
    service_pk: strawberry.Private[int]

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)

    @classmethod
    def from_record(cls, record: ServiceLiveRecord) -> ServiceLive:
        return cls(
            waiting=record.waiting,
            called=record.called,
            serving=record.serving,
            longest_wait_minutes=record.longest_wait_minutes,
            served_today=record.served,
            service_pk=record.service_id,
        )


@strawberry.type(description="An office now: its lines, its desks at work, and how full it is.")
class OfficeLive:
    office: Office
    at: datetime
    services: list[ServiceLive] = strawberry.field(
        description="Services with something happening today (someone waiting, called, served or finished; never a row "
        "of zeros), longest line first.",
        extensions=[ListBound(MAX_SERVICES)],
    )
    waiting: int
    longest_wait_minutes: float | None
    desks_open: int = strawberry.field(description="Desks with a citizen now or one in the last 30 minutes.")
    desks_total: int
    people_inside: int = strawberry.field(
        description="The people in the building now, as Board.occupancy counts them: a party counts whole, a remote"
        " ticket not yet arrived not at all."
    )
    max_occupancy: int | None
    occupancy_rate: float | None = strawberry.field(description="peopleInside / maxOccupancy.")

    @classmethod
    def from_record(cls, record: OfficeLiveRecord) -> OfficeLive:
        return cls(
            office=Office.from_record(record.office),
            at=record.at,
            services=[ServiceLive.from_record(s) for s in record.services],
            waiting=record.waiting,
            longest_wait_minutes=record.longest_wait_minutes,
            desks_open=record.desks_open,
            desks_total=record.desks_total,
            people_inside=record.people_inside,
            max_occupancy=record.office.max_occupancy,
            occupancy_rate=record.occupancy_rate,
        )
