"""The board and the tickets tell one wait; a board lists only the queues someone is in when asked to; a
transfer shows where the citizen went; a finished ticket leads to its feedback."""

from __future__ import annotations

from typing import Any

import pytest

from core.runtime import AppState
from resolvers.feedback.request import request_feedback
from tests.support.api import Api
from tests.support.front_desk import TRANSFER, FrontDesk, front_desk, ticket_pk

QUEUES = """query($o: ID!, $w: Boolean! = false) { board(officeId: $o) {
    recentCalls { number status previousNumber nextNumber }
    queues(onlyWaiting: $w) { waiting estimatedWaitMinutes service { slug } } } }"""
NUMBERS = "query($t: ID!) { ticket(id: $t) { number status previousNumber nextNumber feedbackToken } }"
SUBMIT = """mutation($k: String!) { submitFeedback(token: $k, rating: 4) { __typename
    ... on UserError { message } } }"""


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    # desk 1 serves both procedures, desk 2 only dni: a dni ticket's line holds the cedula tickets too
    return await front_desk(api, admin_token, services=("dni", "cedula"), desks={"1": ("dni", "cedula"), "2": ("dni",)})


async def queues(front: FrontDesk, *, only_waiting: bool = False) -> dict[str, dict[str, Any]]:
    board = (await front.api.run(QUEUES, {"o": front.office_id, "w": only_waiting}, front.display))["board"]
    return {queue["service"]["slug"]: queue for queue in board["queues"]}


async def test_the_board_tells_a_queue_the_wait_its_next_ticket_is_told(front: FrontDesk) -> None:
    for service in ("cedula", "cedula", "dni", "dni", "cedula", "dni"):
        before = (await queues(front))[service]
        ticket = await front.issue(service)
        # the board's figure is that of a ticket taken now: the same statement, the same line and desks
        assert ticket["estimatedWaitMinutes"] == before["estimatedWaitMinutes"], (service, before, ticket)
        assert ticket["estimatedWaitAtIssue"] == before["estimatedWaitMinutes"]
        assert (await front.ticket(ticket["id"]))["estimatedWaitMinutes"] == before["estimatedWaitMinutes"]
    after = await queues(front)
    # six ahead of a dni newcomer (the cedula tickets share desk 1 with dni), two desks, fifteen minutes
    # each; counting only the three dni tickets, as the board once did, said 23
    assert after["dni"] == {"waiting": 3, "estimatedWaitMinutes": 45, "service": {"slug": "dni"}}
    # only desk 1 calls cedula, and it calls every one of the six
    assert after["cedula"] == {"waiting": 3, "estimatedWaitMinutes": 90, "service": {"slug": "cedula"}}


async def test_a_screen_lists_only_the_queues_someone_is_in(api: Api, admin_token: str) -> None:
    services = tuple(f"s{n:02d}" for n in range(12))
    front = await front_desk(api, admin_token, slug="wide", services=services)
    await front.issue("s03")
    await front.issue("s07")
    await front.issue("s07")
    assert set(await queues(front)) == set(services)  # served at a desk: listed, zero rows included
    waiting = await queues(front, only_waiting=True)
    assert {slug: queue["waiting"] for slug, queue in waiting.items()} == {"s03": 1, "s07": 2}
    assert waiting["s07"]["estimatedWaitMinutes"] == (await queues(front))["s07"]["estimatedWaitMinutes"]


async def test_a_transfer_shows_the_old_number_and_the_new(front: FrontDesk) -> None:
    first = await front.issue("dni")  # D-001
    second = await front.issue("dni")  # D-002
    await front.issue("cedula")  # C-003
    assert (await front.call("1"))["number"] == first["number"]
    await front.move("startService", first["id"])
    await front.move("completeTicket", first["id"])
    assert (await front.call("1"))["number"] == second["number"] == "D-002"
    moved = (await front.api.run(TRANSFER, {"t": second["id"], "s": front.services["cedula"]}, front.clerk))[
        "transferTicket"
    ]
    assert moved["number"] == "C-004"

    new = (await front.api.run(NUMBERS, {"t": moved["id"]}))["ticket"]
    assert (new["previousNumber"], new["nextNumber"]) == ("D-002", None)
    old = (await front.api.run(NUMBERS, {"t": second["id"]}))["ticket"]
    assert (old["status"], old["previousNumber"], old["nextNumber"]) == ("TRANSFERRED", None, "C-004")
    board = (await front.api.run(QUEUES, {"o": front.office_id}, front.display))["board"]
    assert board["recentCalls"][0] == {
        "number": "D-002",
        "status": "TRANSFERRED",
        "previousNumber": None,
        "nextNumber": "C-004",
    }
    # it kept D-002's place: called before C-003, and the board says which number it was
    assert (await front.call("1"))["number"] == "C-004"
    board = (await front.api.run(QUEUES, {"o": front.office_id}, front.display))["board"]
    assert board["recentCalls"][0]["number"] == "C-004"
    assert board["recentCalls"][0]["previousNumber"] == "D-002"


async def test_a_finished_ticket_leads_to_its_feedback(api: Api, front: FrontDesk, state: AppState) -> None:
    ticket = await front.issue("dni")
    assert (await api.run(NUMBERS, {"t": ticket["id"]}))["ticket"]["feedbackToken"] is None
    await front.call("1")
    await front.move("startService", ticket["id"])
    assert (await api.run(NUMBERS, {"t": ticket["id"]}))["ticket"]["feedbackToken"] is None
    await front.move("completeTicket", ticket["id"])

    # the citizen's phone, with no credentials: the same token as the feedback mail's, on every read
    token = (await api.run(NUMBERS, {"t": ticket["id"]}))["ticket"]["feedbackToken"]
    assert token
    assert (await api.run(NUMBERS, {"t": ticket["id"]}))["ticket"]["feedbackToken"] == token
    async with state.engine.begin() as conn:
        assert await request_feedback(conn, state.secret_key, ticket_pk(ticket["id"])) == token
    assert (await api.run(SUBMIT, {"k": token}))["submitFeedback"]["__typename"] == "FeedbackReceipt"
