"""Agendas, closures, slot release and availability."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from core.validation import parse_id
from resolvers.accounts.viewer import ANONYMOUS
from resolvers.agenda import agendas, closures, office_day, release
from resolvers.agenda.office_day import MAX_OFFICE_DAY_SLOTS
from resolvers.analytics.unmet import Searcher
from resolvers.availability import queries
from resolvers.availability.queries import MAX_EARLIEST, MAX_RANGE_DAYS
from schema.agenda.types import Agenda, AvailabilityDay, Closure, ReleaseReport, Slot
from schema.bounds import MAX_AGENDAS_PER_OFFICE, MAX_OFFICES, Arguments, ListBound, days_between
from schema.context import Info
from schema.errors import NotAllowed, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query

AgendaResult = Annotated[Agenda | ValidationError | NotFound | NotAllowed, strawberry.union("AgendaResult")]
ClosureResult = Annotated[Closure | ValidationError | NotFound | NotAllowed, strawberry.union("ClosureResult")]
ReleaseResult = Annotated[ReleaseReport | ValidationError | NotAllowed, strawberry.union("ReleaseResult")]


class AgendaInput(InputOf[agendas.AgendaInput]):
    pass


class ClosureInput(InputOf[closures.ClosureInput], description="officeId null closes every office that day."):
    pass


@strawberry.input(description="A point to measure distance from, e.g. the citizen's location.")
class GeoPointInput:
    latitude: float
    longitude: float


def _searcher(info: Info) -> Searcher:
    """Unmet demand counts an anonymous caller once per address, procedure and day."""
    context = info.context
    anonymous = context.viewer.caller == ANONYMOUS.caller
    state = context.state
    # searches read the replica when there is one (run_query's replica=True); their counts go to the primary
    primary = state.engine if state.replica is not None else None
    return Searcher(state.redis, state.secret_key, context.client_address if anonymous else None, primary)


def availability_days(arguments: Arguments) -> int:
    """One item per office and day asked: the days of the range, times one office or every office."""
    days = days_between(arguments, "from", "to", MAX_RANGE_DAYS)
    return days * (1 if arguments.get("officeId") is not None else MAX_OFFICES)


@strawberry.type
class AgendaQuery:
    @strawberry.field(
        description="Free slots of one service between two dates, per office and day; officeId narrows to one office.",
        extensions=[ListBound(MAX_RANGE_DAYS * MAX_OFFICES, size=availability_days)],
    )
    async def availability(
        self,
        info: Info,
        service_id: strawberry.ID,
        date_from: Annotated[date, strawberry.argument(name="from")],
        to: date,
        office_id: strawberry.ID | None = None,
    ) -> list[AvailabilityDay]:
        searcher = _searcher(info)
        staff = info.context.viewer.is_staff
        days = await run_query(
            info,
            lambda conn: queries.availability(
                conn, searcher, service_id, date_from, to, office_id, with_reserved=staff
            ),
            commit=True,
            replica=True,
        )
        return [AvailabilityDay.from_record(day) for day in days]

    @strawberry.field(
        description="The soonest free slots for a service across every office that offers it. With onePerOffice, "
        "only each office's soonest; with near, each office's soonest, nearest office first.",
        extensions=[ListBound.argument("limit", MAX_EARLIEST)],
    )
    async def earliest_slots(
        self,
        info: Info,
        service_id: strawberry.ID,
        limit: int = 10,
        one_per_office: bool = False,
        near: GeoPointInput | None = None,
    ) -> list[Slot]:
        point = (near.latitude, near.longitude) if near else None
        searcher = _searcher(info)
        staff = info.context.viewer.is_staff
        found = await run_query(
            info,
            lambda conn: queries.earliest_slots(
                conn, searcher, service_id, limit, one_per_office=one_per_office, near=point, with_reserved=staff
            ),
            commit=True,
            replica=True,
        )
        return [Slot.from_record(slot, staff) for slot in found]

    @strawberry.field(
        description="Staff of the office: its slots of one local day, full ones too, each with its seats booked, "
        "held, offered, kept back and reserved (the console's view).",
        extensions=[ListBound.argument("limit", MAX_OFFICE_DAY_SLOTS)],
    )
    async def office_slots(self, info: Info, office_id: strawberry.ID, date: date, limit: int = 500) -> list[Slot]:
        viewer = info.context.viewer
        found = await run_query(info, lambda conn: office_day.office_slots(conn, viewer, office_id, date, limit))
        # remaining as anyone sees it: the seats kept for the phone line and the desk are a column of their own
        return [Slot.from_record(slot) for slot in found]

    @strawberry.field(extensions=[ListBound(MAX_AGENDAS_PER_OFFICE)])
    async def agendas(self, info: Info, office_id: strawberry.ID) -> list[Agenda]:
        number = parse_id(office_id)
        if number is None:
            return []
        return [Agenda.from_record(a) for a in await run_query(info, lambda conn: agendas.list_agendas(conn, number))]


@strawberry.type
class AgendaMutation:
    @strawberry.mutation(description="ADMIN, or MANAGER of the office.")
    async def add_agenda(self, info: Info, input: AgendaInput) -> AgendaResult:
        data = input.data()
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: agendas.add_agenda(conn, viewer, data), Agenda.from_record)

    @strawberry.mutation(description="ADMIN for every office at once; MANAGER for their own office.")
    async def add_closure(self, info: Info, input: ClosureInput) -> ClosureResult:
        data = input.data()
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: closures.add_closure(conn, viewer, data), Closure.from_record)

    @strawberry.mutation(
        description="Creates the slots that agendas call for, up to each service's booking window (or until); "
        "idempotent."
    )
    async def release_slots(
        self, info: Info, office_id: strawberry.ID | None = None, until: date | None = None
    ) -> ReleaseResult:
        viewer = info.context.viewer
        return await run_mutation(
            info,
            lambda conn: release.release_slots(conn, viewer, office_id, until),
            ReleaseReport.from_record,
        )
