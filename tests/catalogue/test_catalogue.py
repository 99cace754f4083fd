"""Offices, services and desks: upserts, validation, search, permissions, and nested reads."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api

UPSERT_OFFICE = """mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename
    ... on Office { id slug name timezone address latitude longitude openingHours { weekday opens closes } }
    ... on ValidationError { code field message } ... on UserError { code message } } }"""
UPSERT_SERVICE = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename
    ... on Service { id slug name durationMinutes requiredDocuments walkInAllowed bookingWindowDays
                     ticketPrefix maxActiveBookingsPerCitizen category description }
    ... on ValidationError { code field message } ... on UserError { code message } } }"""


async def count(state: AppState, table: str) -> int:
    async with state.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_upserting_the_same_office_twice_changes_nothing(api: Api, admin_token: str, state: AppState) -> None:
    office = {
        "slug": "cpc-arguello",
        "name": "CPC Argüello",
        "timezone": "America/Argentina/Cordoba",
        "address": "Av. Donato Álvarez 8000",
        "latitude": -31.33,
        "longitude": -64.28,
        "openingHours": [
            {"weekday": 1, "opens": "08:00", "closes": "14:00"},
            {"weekday": 1, "opens": "15:00", "closes": "18:00"},
        ],
    }

    first = (await api.run(UPSERT_OFFICE, {"i": office}, admin_token))["upsertOffice"]
    second = (await api.run(UPSERT_OFFICE, {"i": office}, admin_token))["upsertOffice"]

    assert first == second
    assert first["openingHours"] == [
        {"weekday": 1, "opens": "08:00", "closes": "14:00"},
        {"weekday": 1, "opens": "15:00", "closes": "18:00"},
    ]
    assert await count(state, "offices") == 1
    assert await count(state, "opening_hours") == 2


async def test_upsert_by_slug_updates_the_office(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token, slug="centro")

    result = (
        await api.run(
            UPSERT_OFFICE, {"i": {"slug": "centro", "name": "Centro renamed", "timezone": "Europe/Madrid"}}, admin_token
        )
    )["upsertOffice"]

    assert result["id"] == office_id
    assert (result["name"], result["timezone"]) == ("Centro renamed", "Europe/Madrid")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"name": "   "}, "name"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 10.0}, "longitude"),
        ({"openingHours": [{"weekday": 8, "opens": "08:00", "closes": "14:00"}]}, "openingHours.0.weekday"),
        ({"openingHours": [{"weekday": 1, "opens": "8am", "closes": "14:00"}]}, "openingHours.0.opens"),
        ({"openingHours": [{"weekday": 1, "opens": "14:00", "closes": "08:00"}]}, "openingHours.0.closes"),
        (
            {
                "openingHours": [
                    {"weekday": 1, "opens": "08:00", "closes": "14:00"},
                    {"weekday": 1, "opens": "13:00", "closes": "18:00"},
                ]
            },
            "openingHours.1",
        ),
    ],
)
async def test_bad_office_input_names_the_field_and_writes_nothing(
    api: Api, admin_token: str, state: AppState, change: dict[str, object], field: str
) -> None:
    office = {"slug": "centro", "name": "Centro", "timezone": "America/Argentina/Cordoba"} | change

    result = (await api.run(UPSERT_OFFICE, {"i": office}, admin_token))["upsertOffice"]

    assert result["__typename"] == "ValidationError"
    assert (result["code"], result["field"]) == ("INVALID_INPUT", field)
    assert await count(state, "offices") == 0


async def test_service_defaults_and_upsert(api: Api, admin_token: str, state: AppState) -> None:
    service = {
        "slug": "renovacion-dni",
        "name": "Renovación de DNI",
        "durationMinutes": 20,
        "requiredDocuments": ["DNI anterior", "Partida de nacimiento"],
        "category": "Documentación",
    }

    first = (await api.run(UPSERT_SERVICE, {"i": service}, admin_token))["upsertService"]
    again = (await api.run(UPSERT_SERVICE, {"i": service}, admin_token))["upsertService"]

    assert first == again
    assert first["walkInAllowed"] is True
    assert first["bookingWindowDays"] == 30
    assert first["ticketPrefix"] == "R"
    assert first["maxActiveBookingsPerCitizen"] == 1
    assert first["requiredDocuments"] == ["DNI anterior", "Partida de nacimiento"]
    assert await count(state, "services") == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"durationMinutes": 0}, "durationMinutes"),
        ({"durationMinutes": -5}, "durationMinutes"),
        ({"bookingWindowDays": 0}, "bookingWindowDays"),
        ({"ticketPrefix": "ABC"}, "ticketPrefix"),
        ({"ticketPrefix": "1"}, "ticketPrefix"),
        ({"maxActiveBookingsPerCitizen": 0}, "maxActiveBookingsPerCitizen"),
        ({"requiredDocuments": ["ok", ""]}, "requiredDocuments.1"),
        ({"name": "x" * 201}, "name"),
    ],
)
async def test_bad_service_input_names_the_field_and_writes_nothing(
    api: Api, admin_token: str, state: AppState, change: dict[str, object], field: str
) -> None:
    service = {"slug": "dni", "name": "DNI", "durationMinutes": 15} | change

    result = (await api.run(UPSERT_SERVICE, {"i": service}, admin_token))["upsertService"]

    assert (result["__typename"], result["field"]) == ("ValidationError", field)
    assert await count(state, "services") == 0


async def test_services_search_ignores_case_and_accents(api: Api, admin_token: str) -> None:
    await api.service(admin_token, slug="renovacion-dni", name="Renovación de DNI", category="Documentación")
    await api.service(admin_token, slug="licencia", name="Licencia de conducir", category="Tránsito")
    await api.service(admin_token, slug="poda", name="Poda de árboles", description="Solicitud de poda")

    async def names(search: str | None) -> list[str]:
        data = await api.run("query($s: String) { services(search: $s) { name } }", {"s": search})
        return [service["name"] for service in data["services"]]

    assert await names("RENOVACION dni") == ["Renovación de DNI"]
    assert await names("transito") == ["Licencia de conducir"]
    assert await names("arboles solicitud") == ["Poda de árboles"]
    assert await names("100%") == []
    assert await names(None) == ["Licencia de conducir", "Poda de árboles", "Renovación de DNI"]


async def test_desks_register_the_services_an_office_offers(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token)
    dni = await api.service(admin_token, slug="dni", name="DNI")
    licencia = await api.service(admin_token, slug="licencia", name="Licencia")
    mutation = """mutation($i: DeskInput!) { upsertDesk(input: $i) { __typename
        ... on Desk { id name office { slug } services { slug } } ... on UserError { message } } }"""

    first = await api.run(
        mutation, {"i": {"officeId": office_id, "name": "Box 1", "serviceIds": [dni, licencia]}}, admin_token
    )
    narrowed = await api.run(
        mutation, {"i": {"officeId": office_id, "name": "Box 1", "serviceIds": [dni]}}, admin_token
    )
    office = await api.run(
        "query($id: ID!) { office(id: $id) { services { slug offices { slug } } desks { name } } }", {"id": office_id}
    )

    assert first["upsertDesk"]["services"] == [{"slug": "dni"}, {"slug": "licencia"}]
    assert narrowed["upsertDesk"]["id"] == first["upsertDesk"]["id"]
    assert narrowed["upsertDesk"]["services"] == [{"slug": "dni"}]
    assert office["office"]["desks"] == [{"name": "Box 1"}]
    assert office["office"]["services"] == [
        {"slug": "dni", "offices": [{"slug": "centro"}]},
        {"slug": "licencia", "offices": [{"slug": "centro"}]},
    ]


async def test_desk_with_unknown_ids_names_the_field(api: Api, admin_token: str, state: AppState) -> None:
    office_id = await api.office(admin_token)
    dni = await api.service(admin_token)
    mutation = """mutation($i: DeskInput!) { upsertDesk(input: $i) { __typename
        ... on ValidationError { field } } }"""

    unknown_office = await api.run(mutation, {"i": {"officeId": "999", "name": "B", "serviceIds": [dni]}}, admin_token)
    unknown_service = await api.run(
        mutation, {"i": {"officeId": office_id, "name": "B", "serviceIds": [dni, "777"]}}, admin_token
    )
    garbage_id = await api.run(mutation, {"i": {"officeId": "abc", "name": "B", "serviceIds": [dni]}}, admin_token)
    no_services = await api.run(mutation, {"i": {"officeId": office_id, "name": "B", "serviceIds": []}}, admin_token)

    assert unknown_office["upsertDesk"] == {"__typename": "ValidationError", "field": "officeId"}
    assert unknown_service["upsertDesk"] == {"__typename": "ValidationError", "field": "serviceIds.1"}
    assert garbage_id["upsertDesk"] == {"__typename": "ValidationError", "field": "officeId"}
    assert no_services["upsertDesk"] == {"__typename": "ValidationError", "field": "serviceIds"}
    assert await count(state, "desks") == 0


async def test_unknown_or_malformed_ids_read_as_null(api: Api) -> None:
    data = await api.run('{ office(id: "424242") { id } service(id: "not-an-id") { id } o2: office(id: "-1") { id } }')

    assert data == {"office": None, "service": None, "o2": None}
