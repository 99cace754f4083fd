"""The waitlist's entries: joining in order, one live place per person, reading and leaving with the manage
token; through real `serve` processes where concurrent requests decide."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import citizen, scalar

JOIN = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
    ... on WaitlistEntry { id status position manageToken from to service { slug } }
    ... on ValidationError { field message } ... on UserError { code message } } }"""
ENTRY = (
    """query($id: ID!, $t: String!) { waitlistEntry(id: $id, manageToken: $t) { id status position manageToken } }"""
)
LEAVE = """mutation($id: ID!, $t: String!) { leaveWaitlist(id: $id, manageToken: $t) { __typename
    ... on WaitlistEntry { status position } ... on UserError { code message } } }"""


async def procedure(api: Api, token: str, state: AppState) -> tuple[str, str]:
    """A procedure offered at one office (as a desk or an agenda would link them)."""
    office = await api.office(token, slug="centro")
    service = await api.service(token, slug="dni", bookingWindowDays=30)
    async with state.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO office_services (office_id, service_id) VALUES (:o, :s)"),
            {"o": int(office), "s": int(service)},
        )
    return office, service


def wanted(service: str, document: str, offices: list[str] | None = None, days: int = 14) -> dict[str, Any]:
    today = date.today()
    return {
        "serviceId": service,
        "officeIds": offices,
        "from": (today + timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=days)).isoformat(),
        "citizen": citizen(document),
    }


async def test_people_keep_their_order_and_move_up_when_someone_leaves(
    api: Api, admin_token: str, state: AppState
) -> None:
    office, service = await procedure(api, admin_token, state)
    joined = [(await api.run(JOIN, {"i": wanted(service, f"2000000{n}", [office])}))["joinWaitlist"] for n in range(3)]
    assert [entry["position"] for entry in joined] == [1, 2, 3]
    assert all(entry["status"] == "WAITING" and entry["service"]["slug"] == "dni" for entry in joined)
    first, second, third = joined

    left = (await api.run(LEAVE, {"id": second["id"], "t": second["manageToken"]}))["leaveWaitlist"]
    assert left == {"__typename": "WaitlistEntry", "status": "LEFT", "position": None}
    read = (await api.run(ENTRY, {"id": third["id"], "t": third["manageToken"]}))["waitlistEntry"]
    assert read == {"id": third["id"], "status": "WAITING", "position": 2, "manageToken": None}

    again = (await api.run(LEAVE, {"id": second["id"], "t": second["manageToken"]}))["leaveWaitlist"]
    assert again["__typename"] == "InvalidState"
    # someone else's token reads and changes nothing
    assert (await api.run(ENTRY, {"id": first["id"], "t": third["manageToken"]}))["waitlistEntry"] is None
    stranger = (await api.run(LEAVE, {"id": first["id"], "t": third["manageToken"]}))["leaveWaitlist"]
    assert stranger["__typename"] == "NotFound"
    # having left, a person may join again: at the back of the line
    back = (await api.run(JOIN, {"i": wanted(service, "20000001")}))["joinWaitlist"]
    assert back["position"] == 3


async def test_one_live_place_per_person_and_procedure(api: Api, admin_token: str, state: AppState) -> None:
    _, service = await procedure(api, admin_token, state)
    assert (await api.run(JOIN, {"i": wanted(service, "30123456")}))["joinWaitlist"]["__typename"] == "WaitlistEntry"
    # the same document written another way is the same person
    twice = (await api.run(JOIN, {"i": wanted(service, "30.123.456")}))["joinWaitlist"]
    assert twice["__typename"] == "LimitExceeded"


async def test_what_cannot_be_waited_for_is_refused_naming_the_field(
    api: Api, admin_token: str, state: AppState
) -> None:
    office, service = await procedure(api, admin_token, state)
    elsewhere = await api.office(admin_token, slug="norte")
    cases = {
        "input.officeIds": wanted(service, "40000001", [office, elsewhere]),
        "input.to": wanted(service, "40000002", days=400),
    }
    backwards = wanted(service, "40000003")
    backwards["from"], backwards["to"] = backwards["to"], backwards["from"]
    cases["input.to "] = backwards
    for field, request in cases.items():
        answer = (await api.run(JOIN, {"i": request}))["joinWaitlist"]
        assert answer["__typename"] == "ValidationError", answer
        assert answer["field"] == field.strip()
    unknown = (await api.run(JOIN, {"i": wanted("999999", "40000004")}))["joinWaitlist"]
    assert unknown["__typename"] == "NotFound"


@pytest.mark.slow
async def test_a_burst_of_joins_for_one_person_across_two_processes_makes_one_entry(
    two_servers: list[str], api: Api, admin_token: str, state: AppState
) -> None:
    _, service = await procedure(api, admin_token, state)
    async with httpx.AsyncClient(timeout=30) as client:

        async def join(n: int) -> dict[str, Any]:
            body = {"query": JOIN, "variables": {"i": wanted(service, "50000001")}}
            answer: dict[str, Any] = (await client.post(f"{two_servers[n % 2]}/graphql", json=body)).json()
            return answer

        answers = await asyncio.gather(*(join(n) for n in range(20)))
    kinds = [answer["data"]["joinWaitlist"]["__typename"] for answer in answers]
    assert kinds.count("WaitlistEntry") == 1
    assert kinds.count("LimitExceeded") == 19
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries") == 1


async def test_a_place_in_line_needs_a_solved_challenge_where_the_procedure_asks_for_one(
    api: Api, admin_token: str, state: AppState
) -> None:
    _, service = await procedure(api, admin_token, state)
    await api.service(admin_token, slug="dni", challengePolicy="ALWAYS")
    join = JOIN.replace("... on UserError", "... on ChallengeRequired { challenge { maxNumber } } ... on UserError")
    refused = (await api.run(join, {"i": wanted(service, "60000001")}))["joinWaitlist"]
    assert refused["__typename"] == "ChallengeRequired"
    assert refused["code"] == "CHALLENGE_REQUIRED"
    assert refused["challenge"]["maxNumber"] > 0
    # staff enter people on the line from the desk or the phone without one
    by_staff = (await api.run(JOIN, {"i": wanted(service, "60000001")}, admin_token))["joinWaitlist"]
    assert by_staff["__typename"] == "WaitlistEntry"
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries") == 1
