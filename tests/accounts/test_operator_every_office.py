"""An OPERATOR granted without an office: the city's phone line books, finds, moves and cancels at every office,
and does nothing else (no desk, no tickets, no accounts, no catalogue)."""

from __future__ import annotations

from typing import Any

from tests.support.api import STAFF_PASSWORD, Api
from tests.support.booking import CANCEL, book, bookable_slots, citizen
from tests.support.front_desk import front_desk

CREATE = """mutation($i: StaffInput!) { createStaff(input: $i) { __typename
    ... on StaffUser { roles { role office { id } } } ... on ValidationError { field message }
    ... on UserError { code message } } }"""
FIND = """query($d: String) { findBookings(document: $d) { __typename
    ... on BookingMatches { bookings { code office { id } } } ... on UserError { code message } } }"""


async def create(api: Api, token: str, username: str, *grants: dict[str, Any]) -> dict[str, Any]:
    variables = {"i": {"username": username, "password": STAFF_PASSWORD, "roles": list(grants)}}
    result: dict[str, Any] = (await api.run(CREATE, variables, token))["createStaff"]
    return result


async def test_an_operator_without_an_office_books_and_finds_at_every_office(api: Api, admin_token: str) -> None:
    north = await bookable_slots(api, admin_token, office_slug="norte")
    south = await bookable_slots(api, admin_token, office_slug="sur", service_slug="pasaporte")
    created = await create(api, admin_token, "linea.0800", {"role": "OPERATOR", "officeId": None})
    operator = await api.login("linea.0800", STAFF_PASSWORD)

    at_north = await book(api, north[0], operator, citizen=citizen("20111222"))
    at_south = await book(api, south[0], operator, citizen=citizen("20111222"))
    found = (await api.run(FIND, {"d": "20.111.222"}, operator))["findBookings"]
    cancelled = (await api.run(CANCEL, {"c": at_south["booking"]["code"]}, operator))["cancelBooking"]

    assert created == {"__typename": "StaffUser", "roles": [{"role": "OPERATOR", "office": None}]}
    assert at_north["booking"]["channel"] == at_south["booking"]["channel"] == "PHONE"
    assert sorted(b["code"] for b in found["bookings"]) == sorted(
        [at_north["booking"]["code"], at_south["booking"]["code"]]
    )
    assert cancelled["status"] == "CANCELLED"


async def test_an_every_office_operator_runs_no_desk_and_administers_nothing(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token)
    await create(api, admin_token, "linea.0800", {"role": "OPERATOR", "officeId": None})
    operator = await api.login("linea.0800", STAFF_PASSWORD)
    issued = await front.issue()

    walk_in = await front.issue(token=operator)
    called = await front.call(token=operator)
    desk_booking = await book(api, (await bookable_slots(api, admin_token))[0], operator, channel="DESK")
    staff = await create(api, operator, "someone.else", {"role": "CLERK", "officeId": front.office_id})
    office = await api.run(
        'mutation { upsertOffice(input: {slug: "x", name: "X", timezone: "UTC"}) { __typename } }', None, operator
    )

    assert issued["__typename"] == "Ticket"
    assert walk_in["__typename"] == called["__typename"] == desk_booking["__typename"] == "NotAllowed"
    assert staff["__typename"] == "NotAllowed"
    assert office["upsertOffice"]["__typename"] == "NotAllowed"


async def test_only_an_administrator_grants_every_office_and_only_operator(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token)
    await create(api, admin_token, "manager.centro", {"role": "MANAGER", "officeId": office_id})
    manager = await api.login("manager.centro", STAFF_PASSWORD)

    by_manager = await create(api, manager, "linea.0800", {"role": "OPERATOR", "officeId": None})
    clerk_everywhere = await create(api, admin_token, "clerk.all", {"role": "CLERK", "officeId": None})
    manager_everywhere = await create(api, admin_token, "manager.all", {"role": "MANAGER", "officeId": None})
    local = await create(api, manager, "operator.centro", {"role": "OPERATOR", "officeId": office_id})

    assert by_manager["__typename"] == "NotAllowed"
    assert (clerk_everywhere["__typename"], clerk_everywhere["field"]) == ("ValidationError", "roles.0.officeId")
    assert manager_everywhere["__typename"] == "ValidationError"
    assert local["__typename"] == "StaffUser"
