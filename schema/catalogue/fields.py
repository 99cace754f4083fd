"""Catalogue root fields: offices, services, desks."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.validation import parse_id
from resolvers.catalogue import desks, offices, services
from resolvers.catalogue.services import MAX_SUGGESTIONS
from schema.bounds import MAX_OFFICES, MAX_SERVICES, ListBound
from schema.catalogue.types import Desk, Office, Service, by_shown_name
from schema.context import Info
from schema.errors import NotAllowed, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query

OfficeResult = Annotated[Office | ValidationError | NotAllowed, strawberry.union("OfficeResult")]
ServiceResult = Annotated[Service | ValidationError | NotAllowed, strawberry.union("ServiceResult")]
DeskResult = Annotated[Desk | ValidationError | NotFound | NotAllowed, strawberry.union("DeskResult")]


class OfficeInput(
    InputOf[offices.OfficeInput],
    description="Offices and services are upserted by slug: the same input twice changes nothing.",
):
    pass


class ServiceInput(InputOf[services.ServiceInput]):
    pass


class DeskInput(InputOf[desks.DeskInput]):
    pass


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

    @strawberry.field(
        extensions=[ListBound(MAX_SERVICES)],
        description="The catalogue by name; with `search` (at most 100 characters), the procedures that match "
        "every word of it (words of one or two letters aside) in their name, keywords, category or description, "
        "accents and case ignored, a close spelling counting too; best match first.",
    )
    async def services(self, info: Info, search: str | None = None) -> list[Service]:
        found = await run_query(info, lambda conn: services.search_services(conn, search), replica=True)
        if search is None or not search.strip():
            return await by_shown_name(info, found)  # the catalogue by name: the names the caller reads
        return [Service.from_record(r) for r in found]

    @strawberry.field(
        extensions=[ListBound.argument("limit", MAX_SUGGESTIONS)],
        description="The procedures closest to a search, matching all of it or not, closest first (`limit` 1 to "
        "10): what to offer when `services(search)` found none.",
    )
    async def service_suggestions(self, info: Info, search: str, limit: int = 5) -> list[Service]:
        found = await run_query(info, lambda conn: services.suggest_services(conn, search, limit), replica=True)
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
        data = input.data()
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: offices.upsert_office(conn, viewer, data), Office.from_record)

    @strawberry.mutation(description="Administration: ADMIN only.")
    async def upsert_service(self, info: Info, input: ServiceInput) -> ServiceResult:
        data = input.data()
        viewer = info.context.viewer
        language = info.context.state.settings.default_language
        return await run_mutation(
            info,
            lambda conn: services.upsert_service(conn, viewer, data, default_language=language),
            Service.from_record,
        )

    @strawberry.mutation(description="ADMIN, or MANAGER of the desk's office. Upserted by (office, name).")
    async def upsert_desk(self, info: Info, input: DeskInput) -> DeskResult:
        data = input.data()
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: desks.upsert_desk(conn, viewer, data), Desk.from_record)
