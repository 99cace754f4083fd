"""Catalogue root fields: offices, services, desks."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.validation import parse_id
from models.catalogue import ChallengePolicy, ReleasePolicy
from resolvers.catalogue import desks, offices, services
from schema.bounds import MAX_OFFICES, MAX_SERVICES, ListBound
from schema.catalogue.types import Desk, Office, Service
from schema.context import Info
from schema.errors import NotAllowed, NotFound, ValidationError
from schema.operation import run_mutation, run_query

OfficeResult = Annotated[Office | ValidationError | NotAllowed, strawberry.union("OfficeResult")]
ServiceResult = Annotated[Service | ValidationError | NotAllowed, strawberry.union("ServiceResult")]
DeskResult = Annotated[Desk | ValidationError | NotFound | NotAllowed, strawberry.union("DeskResult")]


@strawberry.input
class OpeningHoursInput:
    weekday: int
    opens: str
    closes: str


@strawberry.input(description="Offices and services are upserted by slug: the same input twice changes nothing.")
class OfficeInput:
    slug: str
    name: str
    timezone: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: list[OpeningHoursInput] | None = None
    checkin_opens_minutes: int | None = strawberry.field(
        default=None, description="Check-in opens this many minutes before the appointment (default 60)."
    )
    checkin_closes_minutes: int | None = strawberry.field(
        default=None, description="Check-in closes this many minutes after the appointment (default 15)."
    )
    priority_head_start_minutes: int | None = strawberry.field(
        default=None, description="PRIORITY tickets join the line as if they had come this much earlier (default 15)."
    )
    max_occupancy: int | None = strawberry.field(
        default=None,
        description="How many people the premises may hold at once (officeLive compares with it); 0 clears it, "
        "absent keeps it.",
    )


@strawberry.input
class ServiceInput:
    slug: str
    name: str
    duration_minutes: int
    description: str | None = None
    category: str | None = None
    required_documents: list[str] | None = None
    walk_in_allowed: bool = True
    booking_window_days: int = 30
    ticket_prefix: str | None = strawberry.field(
        default=None, description="One or two letters that start this service's ticket numbers."
    )
    max_active_bookings_per_citizen: int = 1
    challenge_policy: ChallengePolicy | None = strawberry.field(
        default=None,
        description="When anonymous bookings need a solved proof-of-work challenge (bookingChallenge): a new "
        "service gets ADAPTIVE; absent keeps an existing service's policy.",
    )
    confirmation_required: bool = strawberry.field(
        default=False, description="Citizens' bookings stay PENDING until confirmed from the mailed link."
    )
    max_party_size: int | None = strawberry.field(
        default=None,
        description="How many people one booking may bring (the citizen and up to this many minus one "
        "companions), 1 to 10: a new service gets 1; absent keeps an existing service's.",
    )
    release_policy: ReleasePolicy | None = strawberry.field(
        default=None, description="FIRST_COME or DRAW: a new service gets FIRST_COME; absent keeps an existing one's."
    )
    draw_minutes: int | None = strawberry.field(
        default=None,
        description="Under DRAW: minutes entries are taken after a release (5 to 10080); a new service gets 60; "
        "absent keeps an existing one's.",
    )


@strawberry.input
class DeskInput:
    office_id: strawberry.ID
    name: str
    service_ids: list[strawberry.ID]


@strawberry.type
class CatalogueQuery:
    @strawberry.field(extensions=[ListBound(MAX_OFFICES)])
    async def offices(self, info: Info) -> list[Office]:
        return [Office.from_record(r) for r in await run_query(info, offices.list_offices)]

    @strawberry.field
    async def office(self, info: Info, id: strawberry.ID) -> Office | None:
        number = parse_id(id)
        record = await info.context.loaders.offices_by_id.load(number) if number else None
        return Office.from_record(record) if record else None

    @strawberry.field(extensions=[ListBound(MAX_SERVICES)])
    async def services(self, info: Info, search: str | None = None) -> list[Service]:
        found = await run_query(info, lambda conn: services.search_services(conn, search))
        return [Service.from_record(r) for r in found]

    @strawberry.field
    async def service(self, info: Info, id: strawberry.ID) -> Service | None:
        number = parse_id(id)
        record = await info.context.loaders.services_by_id.load(number) if number else None
        return Service.from_record(record) if record else None


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(description="Administration: ADMIN only.")
    async def upsert_office(self, info: Info, input: OfficeInput) -> OfficeResult:
        data = offices.OfficeInput(
            slug=input.slug,
            name=input.name,
            timezone=input.timezone,
            address=input.address,
            latitude=input.latitude,
            longitude=input.longitude,
            opening_hours=None
            if input.opening_hours is None
            else [offices.OpeningHoursInput(h.weekday, h.opens, h.closes) for h in input.opening_hours],
            checkin_opens_minutes=input.checkin_opens_minutes,
            checkin_closes_minutes=input.checkin_closes_minutes,
            priority_head_start_minutes=input.priority_head_start_minutes,
            max_occupancy=input.max_occupancy,
        )
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: offices.upsert_office(conn, viewer, data), Office.from_record)

    @strawberry.mutation(description="Administration: ADMIN only.")
    async def upsert_service(self, info: Info, input: ServiceInput) -> ServiceResult:
        data = services.ServiceInput(
            slug=input.slug,
            name=input.name,
            duration_minutes=input.duration_minutes,
            description=input.description,
            category=input.category,
            required_documents=input.required_documents,
            walk_in_allowed=input.walk_in_allowed,
            booking_window_days=input.booking_window_days,
            ticket_prefix=input.ticket_prefix,
            max_active_bookings_per_citizen=input.max_active_bookings_per_citizen,
            challenge_policy=input.challenge_policy,
            confirmation_required=input.confirmation_required,
            max_party_size=input.max_party_size,
            release_policy=input.release_policy,
            draw_minutes=input.draw_minutes,
        )
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: services.upsert_service(conn, viewer, data), Service.from_record)

    @strawberry.mutation(description="ADMIN, or MANAGER of the desk's office. Upserted by (office, name).")
    async def upsert_desk(self, info: Info, input: DeskInput) -> DeskResult:
        data = desks.DeskInput(office_id=input.office_id, name=input.name, service_ids=list(input.service_ids))
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: desks.upsert_desk(conn, viewer, data), Desk.from_record)
