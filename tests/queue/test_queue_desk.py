"""The desk lifecycle, every move it refuses, and the gapless event log behind it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import CALL_NEXT, FrontDesk, booking_due_in, events, front_desk, ticket_pk


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(api, admin_token)


async def ticket_row(state: AppState, ticket_id: str) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    text("""SELECT status::text AS status, desk_id, recalls, called_at, started_at, finished_at, due_at
                            FROM tickets WHERE id = :id"""),
                    {"id": ticket_pk(ticket_id)},
                )
            )
            .mappings()
            .one()
        )
        return dict(row)


async def test_a_walk_in_goes_from_waiting_to_done_and_every_step_is_logged(front: FrontDesk, state: AppState) -> None:
    issued = await front.issue()
    assert issued["__typename"] == "Ticket", issued
    assert (issued["number"], issued["status"], issued["position"]) == ("D-001", "WAITING", 1)
    assert issued["estimatedWaitMinutes"] == 0
    assert issued["estimatedWaitAtIssue"] == 0

    called = await front.call()
    assert (called["id"], called["status"], called["desk"]["name"]) == (issued["id"], "CALLED", "1")
    assert called["position"] is None
    assert called["estimatedWaitMinutes"] is None
    recalled = await front.move("recall", issued["id"])
    assert (recalled["status"], recalled["recalls"]) == ("CALLED", 1)
    serving = await front.move("startService", issued["id"])
    assert serving["status"] == "SERVING"
    done = await front.move("completeTicket", issued["id"])
    assert done["status"] == "DONE"
    assert done["desk"]["name"] == "1"

    row = await ticket_row(state, issued["id"])
    assert row["called_at"] <= row["started_at"] <= row["finished_at"]
    ticket = ticket_pk(issued["id"])
    assert await events(state, front.office_id) == [
        (1, "ISSUED", ticket),
        (2, "CALLED", ticket),
        (3, "RECALLED", ticket),
        (4, "SERVING", ticket),
        (5, "DONE", ticket),
    ]
    # the desk is free again: the next call finds nobody, a typed answer rather than an error
    empty = await front.call()
    assert (empty["__typename"], empty["code"]) == ("QueueEmpty", "QUEUE_EMPTY")


async def test_a_booked_ticket_completes_its_booking_and_a_no_show_marks_it(front: FrontDesk, state: AppState) -> None:
    served_code = await booking_due_in(front, state, 5, document="20111222")
    missed_code = await booking_due_in(front, state, 10, document="20333444")
    served = await front.check_in(served_code)
    missed = await front.check_in(missed_code)
    assert (served["status"], missed["status"]) == ("WAITING", "WAITING")
    assert (await front.ticket(served["id"]))["booking"] == {"code": served_code, "status": "CHECKED_IN"}

    assert (await front.call())["id"] == served["id"]  # due at its slot, five minutes before the other
    await front.move("startService", served["id"])
    await front.move("completeTicket", served["id"])
    assert (await front.ticket(served["id"]))["booking"]["status"] == "COMPLETED"

    assert (await front.call())["id"] == missed["id"]
    no_show = await front.move("markNoShow", missed["id"])
    assert no_show["status"] == "NO_SHOW"
    assert (await front.ticket(missed["id"]))["booking"]["status"] == "NO_SHOW"
    history = await scalar(
        state,
        "SELECT string_agg(e.status::text, ',' ORDER BY e.id) FROM booking_events e JOIN bookings b"
        " ON b.id = e.booking_id WHERE b.code = :c",
        c=missed_code,
    )
    assert history == "BOOKED,CHECKED_IN,NO_SHOW"
    # completion is announced to the citizen through the outbox (the worker sends it)
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE kind = 'ticket.completed'") == 1


# For each state a ticket can be in, the moves that must be refused.
FORBIDDEN = {
    "WAITING": ["recall", "startService", "completeTicket", "markNoShow"],
    "CALLED": ["completeTicket", "cancelTicket"],
    "SERVING": ["recall", "startService", "markNoShow", "cancelTicket"],
    "DONE": ["recall", "startService", "completeTicket", "markNoShow", "cancelTicket", "transferTicket"],
    "NO_SHOW": ["recall", "startService", "completeTicket", "markNoShow", "cancelTicket", "transferTicket"],
    "CANCELLED": ["recall", "startService", "completeTicket", "markNoShow", "cancelTicket", "transferTicket"],
    "TRANSFERRED": ["recall", "startService", "completeTicket", "markNoShow", "cancelTicket", "transferTicket"],
}
# How to bring a fresh ticket (already called to desk 1 where it says so) into each state.
PATHS = {
    "WAITING": [],
    "CALLED": ["call"],
    "SERVING": ["call", "startService"],
    "DONE": ["call", "startService", "completeTicket"],
    "NO_SHOW": ["call", "markNoShow"],
    "CANCELLED": ["cancelTicket"],
    "TRANSFERRED": ["transferTicket"],
}


@pytest.mark.parametrize("status", list(FORBIDDEN))
async def test_every_move_the_lifecycle_does_not_allow_is_refused_and_changes_nothing(
    front: FrontDesk, state: AppState, status: str
) -> None:
    ticket = await front.issue()
    for step in PATHS[status]:
        moved = await front.call() if step == "call" else await front.move(step, ticket["id"])
        assert moved["__typename"] == "Ticket", moved
    assert (await ticket_row(state, ticket["id"]))["status"] == status
    before_row, before_log = await ticket_row(state, ticket["id"]), await events(state, front.office_id)

    for move in FORBIDDEN[status]:
        refused = await front.move(move, ticket["id"])
        assert refused["__typename"] == "InvalidState", (move, refused)
        assert refused["code"] == "INVALID_STATE"
        assert status in refused["message"], refused

    assert await ticket_row(state, ticket["id"]) == before_row
    assert await events(state, front.office_id) == before_log


async def test_a_desk_with_a_citizen_still_at_it_cannot_call_the_next(front: FrontDesk, state: AppState) -> None:
    first, second = await front.issue(), await front.issue()
    assert (await front.call())["id"] == first["id"]
    refused = await front.call()
    assert refused["__typename"] == "InvalidState", refused
    assert first["number"] in refused["message"]
    assert (await ticket_row(state, second["id"]))["status"] == "WAITING"
    await front.move("startService", first["id"])
    assert (await front.call())["__typename"] == "InvalidState"
    await front.move("completeTicket", first["id"])
    assert (await front.call())["id"] == second["id"]


async def test_unknown_ids_are_not_found_and_malformed_ones_too(front: FrontDesk) -> None:
    for move in ("recall", "startService", "completeTicket"):
        for unknown in ("999999", "not-a-number", "-1"):
            result = await front.move(move, unknown)
            assert result["__typename"] == "NotFound", (move, unknown, result)
    result = (await front.api.run(CALL_NEXT, {"d": "424242"}, front.clerk))["callNext"]
    assert result["__typename"] == "NotFound"


async def test_cancelling_a_waiting_ticket_takes_it_out_of_the_line(front: FrontDesk) -> None:
    leaving, staying = await front.issue(), await front.issue()
    assert (await front.ticket(staying["id"]))["position"] == 2
    cancelled = await front.move("cancelTicket", leaving["id"])
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["position"] is None
    assert (await front.ticket(staying["id"]))["position"] == 1
    assert (await front.call())["id"] == staying["id"]


async def test_an_unfinished_note_is_kept_and_a_huge_one_refused(front: FrontDesk, state: AppState) -> None:
    ticket = await front.issue()
    await front.call()
    await front.move("startService", ticket["id"])
    document = "mutation($t: ID!, $n: String) { completeTicket(ticketId: $t, note: $n) { __typename"
    document += " ... on ValidationError { field } ... on Ticket { status } } }"
    refused = (await front.api.run(document, {"t": ticket["id"], "n": "x" * 5000}, front.clerk))["completeTicket"]
    assert refused == {"__typename": "ValidationError", "field": "note"}
    assert (await ticket_row(state, ticket["id"]))["status"] == "SERVING"
    done = await front.api.run(document, {"t": ticket["id"], "n": "brought the old ID"}, front.clerk)
    assert done["completeTicket"] == {"__typename": "Ticket", "status": "DONE"}
    assert (
        await scalar(state, "SELECT note FROM tickets WHERE id = :id", id=ticket_pk(ticket["id"]))
        == "brought the old ID"
    )
