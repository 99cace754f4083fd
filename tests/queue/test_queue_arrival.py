"""Arrivals and the line: check-in windows, who may do what, the order of calls, transfers, estimates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from jobs.context import JobContext
from jobs.slots import sweep_no_shows
from tests.support.api import Api
from tests.support.booking import CANCEL, scalar
from tests.support.front_desk import BOARD, CALL_NEXT, ISSUE, TRANSFER, FrontDesk, booking_due_in, front_desk, ticket_pk


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(api, admin_token, checkinOpensMinutes=30, checkinClosesMinutes=10)


async def test_check_in_is_open_from_before_the_slot_until_shortly_after(front: FrontDesk, state: AppState) -> None:
    early = await booking_due_in(front, state, 45, document="20000001")
    late = await booking_due_in(front, state, -12, document="20000002")
    on_time = await booking_due_in(front, state, 25, document="20000003")
    just_late = await booking_due_in(front, state, -8, document="20000004")

    too_early = await front.check_in(early)
    assert too_early["__typename"] == "InvalidState"
    assert too_early["message"].startswith("Too early: check-in opens")
    too_late = await front.check_in(late)
    assert too_late["__typename"] == "InvalidState"
    assert too_late["message"].startswith("Too late")
    for code in (early, late):
        assert await scalar(state, "SELECT status::text FROM bookings WHERE code = :c", c=code) == "BOOKED"

    first = await front.check_in(on_time)
    assert (first["__typename"], first["status"]) == ("Ticket", "WAITING")
    assert await scalar(state, "SELECT status::text FROM bookings WHERE code = :c", c=on_time) == "CHECKED_IN"
    assert (await front.check_in(just_late))["__typename"] == "Ticket"
    # a second check-in (the citizen tries again at the kiosk) gets the same ticket, not another
    again = await front.check_in(on_time.lower())
    assert (again["id"], again["number"]) == (first["id"], first["number"])
    assert await scalar(state, "SELECT count(*) FROM tickets") == 2
    assert await scalar(state, "SELECT count(*) FROM queue_events") == 2


async def test_check_in_refuses_another_office_a_cancelled_booking_and_unknown_codes(
    api: Api, admin_token: str, front: FrontDesk, state: AppState
) -> None:
    elsewhere = await front_desk(api, admin_token, slug="norte")
    code = await booking_due_in(front, state, 5, document="20000005")

    wrong = await elsewhere.check_in(code)
    assert wrong["__typename"] == "InvalidState", wrong
    assert "Office centro" in wrong["message"]

    cancelled = await api.run(CANCEL, {"c": code, "r": "cannot come"}, front.clerk)
    assert cancelled["cancelBooking"]["__typename"] == "Booking", cancelled
    refused = await front.check_in(code)
    assert refused["__typename"] == "InvalidState", refused
    assert "cancelled" in refused["message"]

    assert (await front.check_in("ZZZZ2222"))["__typename"] == "NotFound"
    assert await scalar(state, "SELECT count(*) FROM tickets") == 0


async def test_the_window_is_the_offices_to_set(front: FrontDesk, state: AppState) -> None:
    code = await booking_due_in(front, state, 45)
    assert (await front.check_in(code))["__typename"] == "InvalidState"
    await front.api.office(front.admin, checkinOpensMinutes=90)
    assert (await front.check_in(code))["__typename"] == "Ticket"
    refused = await front.api.run(
        "mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename ... on ValidationError { field } } }",
        {"i": {"slug": "centro", "name": "x", "timezone": "UTC", "checkinClosesMinutes": -5}},
        front.admin,
    )
    assert refused["upsertOffice"] == {"__typename": "ValidationError", "field": "checkinClosesMinutes"}


async def test_roles_each_device_and_person_does_only_their_part(
    api: Api, admin_token: str, front: FrontDesk, state: AppState
) -> None:
    other = await front_desk(api, admin_token, slug="norte")
    manager = await api.staff_token(admin_token, "manager", "MANAGER", front.office_id)
    operator = await api.staff_token(admin_token, "operator", "OPERATOR", front.office_id)

    # walk-ins: this office's kiosk and desk staff, no one else
    for token in (front.kiosk, front.clerk, manager, admin_token):
        assert (await front.issue(token=token))["__typename"] == "Ticket"
    for outsider in (front.display, other.kiosk, other.clerk, operator, None):
        refused = (await api.run(ISSUE, {"o": front.office_id, "s": front.services["dni"]}, outsider))["issueTicket"]
        assert refused["__typename"] == "NotAllowed", (outsider, refused)

    # desks: the office's clerks and managers (and admins); never a kiosk or a display
    for outsider in (front.kiosk, front.display, other.clerk, operator, other.kiosk, None):
        refused = (await api.run(CALL_NEXT, {"d": front.desks["1"]}, outsider))["callNext"]
        assert refused["__typename"] == "NotAllowed", (outsider, refused)
    called = await front.call(token=manager)
    assert called["__typename"] == "Ticket"
    for token in (front.kiosk, front.display, other.clerk, ""):
        assert (await front.move("recall", called["id"], token))["__typename"] == "NotAllowed"
    assert (await front.move("recall", called["id"], admin_token))["recalls"] == 1

    # check-in: the kiosk of the office, not a display
    code = await booking_due_in(front, state, 5)
    assert (await front.check_in(code, token=front.display))["__typename"] == "NotAllowed"
    assert (await front.check_in(code, token=other.kiosk))["__typename"] == "NotAllowed"

    # the board: the office's displays, kiosks and staff; not other offices' devices, not the public
    for token in (front.display, front.kiosk, front.clerk, operator):
        assert (await api.run(BOARD, {"o": front.office_id}, token))["board"]["seq"] > 0
    for outsider in (other.display, other.clerk, None):
        response = await api.post(BOARD, {"o": front.office_id}, outsider)
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ALLOWED", outsider
    # refusals wrote nothing
    assert await scalar(state, "SELECT count(*) FROM tickets") == 4


async def test_the_line_is_ordered_by_due_time_with_a_head_start_for_priority(
    front: FrontDesk, state: AppState
) -> None:
    appointment = await booking_due_in(front, state, 20)
    first = await front.issue()
    second = await front.issue()
    booked = await front.check_in(appointment)  # due at its slot, twenty minutes from now
    priority = await front.issue(priority="PRIORITY")  # due 15 minutes before its arrival
    assert priority["priority"] == "PRIORITY"

    positions = {t["id"]: (await front.ticket(t["id"]))["position"] for t in (first, second, booked, priority)}
    assert positions == {priority["id"]: 1, first["id"]: 2, second["id"]: 3, booked["id"]: 4}
    assert [t["number"] for t in (first, second, booked, priority)] == ["D-001", "D-002", "D-003", "D-004"]

    called = []
    for _ in range(4):
        ticket = await front.call()
        called.append(ticket["id"])
        await front.move("startService", ticket["id"])
        await front.move("completeTicket", ticket["id"])
    assert called == [priority["id"], first["id"], second["id"], booked["id"]]


async def test_a_desk_calls_only_its_services_and_position_counts_only_that_line(
    api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(
        api,
        admin_token,
        services=("dni", "licencia", "pasaporte"),
        desks={"1": ("dni", "licencia"), "2": ("pasaporte",)},
    )
    dni = await front.issue("dni")
    passport = await front.issue("pasaporte")
    licence = await front.issue("licencia")
    assert passport["number"] == "P-002"
    assert licence["number"] == "L-003"
    assert (passport["position"], licence["position"], dni["position"]) == (1, 2, 1)

    assert (await front.call("2"))["id"] == passport["id"]
    assert (await front.call("1"))["id"] == dni["id"]
    await front.move("startService", dni["id"])
    await front.move("completeTicket", dni["id"])
    assert (await front.call("1"))["id"] == licence["id"]
    await front.move("markNoShow", passport["id"])
    assert (await front.call("2"))["__typename"] == "QueueEmpty"


async def test_transfers_keep_the_place_earned_or_go_to_the_back_and_may_target_one_desk(
    api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(
        api, admin_token, services=("dni", "licencia"), desks={"1": ("dni",), "2": ("licencia",), "3": ("licencia",)}
    )
    early = await front.issue("dni")
    waiting = [await front.issue("licencia") for _ in range(2)]
    assert (await front.call("1"))["id"] == early["id"]
    await front.move("startService", early["id"])

    async def transfer(ticket_id: str, **target: object) -> dict[str, Any]:
        result: dict[str, Any] = (await api.run(TRANSFER, {"t": ticket_id, **target}, front.clerk))["transferTicket"]
        return result

    moved = await transfer(early["id"], s=front.services["licencia"], k=True)
    assert moved["__typename"] == "Ticket"
    assert moved["status"] == "WAITING"
    assert moved["number"] == "L-004"
    assert moved["position"] == 1  # arrived before the two waiting for a licence
    assert (await front.ticket(early["id"]))["status"] == "TRANSFERRED"
    assert await scalar(
        state, "SELECT previous_ticket_id FROM tickets WHERE id = :id", id=ticket_pk(moved["id"])
    ) == ticket_pk(early["id"])

    back = await transfer(waiting[0]["id"], s=front.services["licencia"], k=False)
    assert back["position"] == 3  # behind the transferred citizen and the other waiting one

    # to one desk: only desk 3 may call it, however early it is due
    only_three = await transfer(str(moved["id"]), d=front.desks["3"])
    assert only_three["desk"] == {"id": front.desks["3"], "name": "3"}
    assert (await front.call("2"))["id"] == waiting[1]["id"]
    assert (await front.call("3"))["id"] == only_three["id"]

    # nowhere, or a desk of another office: refused, nothing changed
    other = await front_desk(api, admin_token, slug="norte")
    before = await scalar(state, "SELECT count(*) FROM queue_events")
    assert (await transfer(back["id"]))["__typename"] == "ValidationError"
    assert (await transfer(back["id"], d=other.desks["1"]))["__typename"] == "ValidationError"
    assert await scalar(state, "SELECT count(*) FROM queue_events") == before

    # to another office: a ticket in that office's numbering and log
    away = await transfer(back["id"], o=other.office_id, s=other.services["dni"])
    assert away["__typename"] == "Ticket"
    assert away["number"] == "D-001"
    assert away["office"] == {"id": other.office_id}
    assert await scalar(state, "SELECT count(*) FROM queue_events WHERE office_id = :o", o=int(other.office_id)) == 1


async def test_estimates_come_from_recent_service_times_and_the_desks_that_serve(
    api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token, desks={"1": ("dni",), "2": ("dni",)})
    # before any history: the service's nominal 15 minutes, two desks at a time
    assert [(await front.issue())["estimatedWaitMinutes"] for _ in range(3)] == [0, 8, 15]
    async with state.engine.begin() as conn:
        for table in ("queue_events", "tickets", "office_queue_counters"):
            await conn.execute(text(f"DELETE FROM {table}"))
        # twenty finished tickets that each took ten minutes at a desk, and one ancient slow outlier
        await conn.execute(
            text("""INSERT INTO tickets (office_id, service_id, number, day, day_number, priority, status, due_at,
                                         issued_at, called_at, started_at, finished_at)
                    -- numbered on the office's own yesterday: today's numbers are the ones issued next
                    SELECT :o, :s, 'D-' || n, CAST(now() AT TIME ZONE o.timezone AS date) - 1, n, 'STANDARD', 'DONE',
                           t, t, t, t,
                           t + interval '10 minutes' + (n % 3 - 1) * interval '30 seconds'
                    FROM offices o, generate_series(1, 21) AS n,
                         LATERAL (SELECT now() - interval '1 day' + n * interval '10 minutes' AS t) AS at
                    WHERE o.id = :o"""),
            {"o": int(front.office_id), "s": int(front.services["dni"])},
        )
        await conn.execute(
            text(
                "UPDATE tickets SET started_at = started_at - interval '1 week',"
                " finished_at = started_at - interval '1 week' + interval '3 hours' WHERE day_number = 1"
            ),
        )
    tickets = [await front.issue() for _ in range(7)]
    # six ahead, two desks, ten minutes each: the seventh is called in 30 minutes
    true_wait = 30
    last = await front.ticket(tickets[-1]["id"])
    assert abs(last["estimatedWaitMinutes"] - true_wait) <= 0.2 * true_wait, last
    assert last["estimatedWaitAtIssue"] == tickets[-1]["estimatedWaitMinutes"]
    # a third desk opens: the same line moves faster, and the estimate says so
    await api.run(
        "mutation($i: DeskInput!) { upsertDesk(input: $i) { __typename } }",
        {"i": {"officeId": front.office_id, "name": "3", "serviceIds": [front.services["dni"]]}},
        admin_token,
    )
    assert (await front.ticket(tickets[-1]["id"]))["estimatedWaitMinutes"] == 20
    assert last["estimatedWaitAtIssue"] == (await front.ticket(tickets[-1]["id"]))["estimatedWaitAtIssue"]
    board = (await api.run(BOARD, {"o": front.office_id}, front.display))["board"]
    assert board["queues"] == [{"waiting": 7, "estimatedWaitMinutes": 24, "service": {"slug": "dni"}}]


async def test_the_sweep_marks_bookings_nobody_checked_in_for_as_no_shows(front: FrontDesk, state: AppState) -> None:
    gone = await booking_due_in(front, state, -11, document="20000010")
    still_open = await booking_due_in(front, state, -9, document="20000011")
    came = await booking_due_in(front, state, -5, document="20000012")
    await front.check_in(came)
    context: JobContext = {"turnero_state": state}

    assert await sweep_no_shows(context) == {"marked": 1, "remote": 0}
    assert await sweep_no_shows(context) == {"marked": 0, "remote": 0}
    statuses = {
        code: await scalar(state, "SELECT status::text FROM bookings WHERE code = :c", c=code)
        for code in (gone, still_open, came)
    }
    assert statuses == {gone: "NO_SHOW", still_open: "BOOKED", came: "CHECKED_IN"}
    assert (
        await scalar(
            state,
            "SELECT e.actor FROM booking_events e JOIN bookings b ON b.id = e.booking_id"
            " WHERE b.code = :c AND e.status = 'NO_SHOW'",
            c=gone,
        )
        == "system"
    )
