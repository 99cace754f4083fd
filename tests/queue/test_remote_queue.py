"""Issue 16, points 6 and 7: joining an office's line from home, and the building's capacity.

A remote ticket waits outside: it keeps its place in line, callNext passes it over, its holder is told to come in
near the front (once: `headInAt` and a mail), comes in at the kiosk with its code into the place it earned, and is a
no-show by the sweep if they do not. Walk-ins at a full building (Office.maxOccupancy) wait outside the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.context import JobContext
from jobs.slots import sweep_no_shows
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import (
    ISSUE,
    RESULT,
    TICKET,
    FrontDesk,
    events,
    front_desk,
    ticket_pk,
)
from tests.support.mail import composed, outbox_rows, plain, subject_of
from tests.support.processes import at_once

REMOTE_TICKET = f"{TICKET} remote remoteCode headInAt"
JOIN = f"""mutation($i: JoinQueueInput!) {{ joinQueue(input: $i) {{ __typename
    ... on Ticket {{ {REMOTE_TICKET} }} ... on UserError {{ code message }} ... on ValidationError {{ field }}
    ... on InvalidState {{ reason }} }} }}"""
CHECK_IN = f"""mutation($o: ID!, $c: String!) {{ checkIn(officeId: $o, code: $c) {{ __typename
    ... on Ticket {{ {REMOTE_TICKET} }} ... on UserError {{ code message }} ... on InvalidState {{ reason }} }} }}"""
TICKET_QUERY = f"query($t: ID!) {{ ticket(id: $t) {{ {REMOTE_TICKET} }} }}"
OCCUPANCY = "query($o: ID!) { board(officeId: $o) { occupancy { inside max } } }"
LIVE_INSIDE = "query($o: ID!) { officeLive(officeId: $o) { ... on OfficeLive { peopleInside occupancyRate } } }"
LINE = "query($o: ID!, $d: ID) { waitingTickets(officeId: $o, deskId: $d) { number remote } }"
ISSUE_REMOTE = ISSUE.replace(
    f"{{ {RESULT} }}", f"{{ __typename ... on Ticket {{ {REMOTE_TICKET} }} ... on UserError {{ message }} }}"
)


def contact(n: int, **extra: Any) -> dict[str, Any]:
    return {"name": f"Vecina {n}", "email": f"vecina{n}@example.org", "locale": "es", **extra}


async def join(front: FrontDesk, n: int = 1, service: str = "dni", **fields: Any) -> dict[str, Any]:
    request = {"officeId": front.office_id, "serviceId": front.services[service], "citizen": contact(n), **fields}
    data = await front.api.run(JOIN, {"i": request}, "")
    result: dict[str, Any] = data["joinQueue"]
    return result


async def walk_in(front: FrontDesk) -> dict[str, Any]:
    data = await front.api.run(ISSUE_REMOTE, {"o": front.office_id, "s": front.services["dni"]}, front.kiosk)
    result: dict[str, Any] = data["issueTicket"]
    assert result["__typename"] == "Ticket", result
    return result


async def follow(front: FrontDesk, ticket_id: str) -> dict[str, Any]:
    """The ticket as its page reads it: without credentials."""
    data = await front.api.run(TICKET_QUERY, {"t": ticket_id}, "")
    result: dict[str, Any] = data["ticket"]
    return result


async def serve_next(front: FrontDesk) -> dict[str, Any]:
    """The desk calls the next citizen, serves them and finishes: they leave the building."""
    called = await front.call()
    assert called["__typename"] == "Ticket", called
    for step in ("startService", "completeTicket"):
        assert (await front.move(step, called["id"]))["__typename"] == "Ticket"
    return called


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    desk = await front_desk(api, admin_token, services=("dni", "tasas"), remoteQueue=True, remoteHeadInPlaces=2)
    # most tests join several times from one address: the challenge has tests of its own
    for slug in ("dni", "tasas"):
        await api.service(admin_token, slug=slug, ticketPrefix=slug[0].upper(), challengePolicy="NEVER")
    return desk


async def test_joining_from_home_gives_a_remote_ticket_with_its_live_page_place_and_estimate(
    front: FrontDesk, state: AppState
) -> None:
    inside = [await walk_in(front) for _ in range(3)]
    joined = await join(front)

    assert joined["__typename"] == "Ticket", joined
    assert (joined["status"], joined["remote"], joined["number"]) == ("WAITING", True, "D-004")
    assert len(joined["remoteCode"]) == 6
    assert joined["position"] == 4
    assert joined["estimatedWaitMinutes"] == 45  # three people ahead, 15 minutes each, one desk
    assert joined["headInAt"] is None  # 4 places from the front: the office tells at 2
    followed = await front.ticket(joined["id"], token="")  # the /ticket page needs no credentials
    assert (followed["number"], followed["position"]) == ("D-004", 4)
    assert [kind for _, kind, _ in await events(state, front.office_id)] == ["ISSUED"] * 4
    assert all(ticket["remote"] is False and ticket["remoteCode"] is None for ticket in inside)


async def test_each_refusal_is_typed(api: Api, admin_token: str, front: FrontDesk, state: AppState) -> None:
    elsewhere = await front_desk(api, admin_token, slug="norte", services=("dni",))
    appointment_only = await api.service(admin_token, slug="licencia", ticketPrefix="L", walkInAllowed=False)
    await front.api.run(
        "mutation($i: DeskInput!) { upsertDesk(input: $i) { __typename } }",
        {"i": {"officeId": front.office_id, "name": "2", "serviceIds": [appointment_only]}},
        admin_token,
    )
    front.services["licencia"] = appointment_only
    front.services["otra"] = await api.service(admin_token, slug="otra", ticketPrefix="O")

    not_remote = await join(elsewhere)
    not_offered = await join(front, service="otra")
    needs_appointment = await join(front, service="licencia")
    no_way_to_reach = await join(front, citizen={"name": "Sin contacto"})
    bad_email = await join(front, citizen={"name": "X", "email": "not-an-address"})
    unknown_office = await front.api.run(
        JOIN, {"i": {"officeId": "999999", "serviceId": front.services["dni"], "citizen": contact(1)}}, ""
    )

    assert (not_remote["__typename"], not_remote["code"]) == ("NotAllowed", "NOT_ALLOWED")
    assert (not_offered["__typename"], not_offered["field"]) == ("ValidationError", "serviceId")
    assert needs_appointment["__typename"] == "InvalidState", needs_appointment
    assert needs_appointment["reason"] == "APPOINTMENT_REQUIRED"
    assert (no_way_to_reach["__typename"], no_way_to_reach["field"]) == ("ValidationError", "citizen.email")
    assert (bad_email["__typename"], bad_email["field"]) == ("ValidationError", "citizen.email")
    assert unknown_office["joinQueue"]["__typename"] == "NotFound"

    first = await join(front, 7)
    again = await join(front, 7, service="tasas")  # the same e-mail, another line: one open remote ticket each
    by_phone = await join(front, 8, citizen={"name": "Y", "phone": "+54 351 555-0101"})
    same_phone = await join(front, 9, citizen={"name": "Z", "phone": "+543515550101"})
    assert first["__typename"] == "Ticket", first
    assert (again["__typename"], again["code"]) == ("LimitExceeded", "LIMIT_EXCEEDED")
    assert first["number"] in again["message"]
    assert by_phone["__typename"] == "Ticket", by_phone
    assert same_phone["__typename"] == "LimitExceeded", same_phone
    # once that visit is over the person may join again
    await front.api.run(
        "mutation($t: ID!) { cancelTicket(ticketId: $t) { __typename } }", {"t": first["id"]}, front.clerk
    )
    assert (await join(front, 7, service="tasas"))["__typename"] == "Ticket"
    assert await scalar(state, "SELECT count(*) FROM tickets WHERE remote AND status = 'WAITING'") == 2


async def test_an_office_closed_now_refuses(front: FrontDesk) -> None:
    weekday = datetime.now(UTC).astimezone(ZoneInfo("America/Argentina/Cordoba")).isoweekday()
    hours = [{"weekday": day, "opens": "08:00", "closes": "14:00"} for day in range(1, 8) if day != weekday]
    await front.api.office(front.admin, openingHours=hours)

    closed = await join(front)

    assert (closed["__typename"], closed["reason"]) == ("InvalidState", "OFFICE_CLOSED")
    assert "closed" in closed["message"]
    # open all day today: let in
    await front.api.office(front.admin, openingHours=[{"weekday": weekday, "opens": "00:00", "closes": "23:59"}])
    minute = datetime.now(UTC).astimezone(ZoneInfo("America/Argentina/Cordoba"))
    if (minute.hour, minute.minute) != (23, 59):
        assert (await join(front))["__typename"] == "Ticket"


async def test_desks_pass_a_remote_ticket_over_and_it_comes_in_to_the_place_it_earned(
    front: FrontDesk, state: AppState
) -> None:
    first = await front.issue()
    outside = await join(front)
    later = [await front.issue() for _ in range(2)]

    line = await front.api.run(LINE, {"o": front.office_id, "d": front.desks["1"]}, front.clerk)
    everyone = await front.api.run(LINE, {"o": front.office_id}, front.clerk)
    assert [t["number"] for t in line["waitingTickets"]] == ["D-001", "D-003", "D-004"]
    assert [(t["number"], t["remote"]) for t in everyone["waitingTickets"]] == [
        ("D-001", False),
        ("D-002", True),
        ("D-003", False),
        ("D-004", False),
    ]
    assert (await serve_next(front))["number"] == first["number"]
    passed_over = await front.call()
    assert passed_over["number"] == later[0]["number"]  # D-002 is outside: D-003 goes first
    still = await front.ticket(outside["id"])
    assert (still["status"], still["position"]) == ("WAITING", 1)  # it kept its place at the front

    came = await front.api.run(CHECK_IN, {"o": front.office_id, "c": outside["remoteCode"].lower()}, front.kiosk)
    twice = await front.api.run(CHECK_IN, {"o": front.office_id, "c": outside["remoteCode"]}, front.kiosk)

    assert came["checkIn"]["__typename"] == "Ticket", came
    assert (came["checkIn"]["id"], came["checkIn"]["remote"]) == (outside["id"], False)
    assert twice["checkIn"]["id"] == outside["id"]
    for step in ("startService", "completeTicket"):
        await front.move(step, passed_over["id"])
    # in the place it earned: before D-004, who was inside long before D-002 arrived
    assert (await front.call())["number"] == "D-002"
    assert [kind for _, kind, _ in await events(state, front.office_id)].count("ARRIVED") == 1
    unknown = await front.api.run(CHECK_IN, {"o": front.office_id, "c": "ZZZZ22"}, front.kiosk)
    assert unknown["checkIn"]["__typename"] == "NotFound"


async def test_the_head_in_mail_goes_out_once_at_n_places_from_the_front(
    front: FrontDesk, state: AppState, settings: Settings
) -> None:
    for _ in range(3):
        await front.issue()
    outside = await join(front, 5)
    told: list[int] = []
    positions: list[int] = []
    for _ in range(3):
        await serve_next(front)
        now = await front.ticket(outside["id"])
        positions.append(now["position"])
        told.append(len(await outbox_rows(state, "queue.head_in")))

    assert positions == [3, 2, 1]
    assert told == [0, 1, 1]  # at 2 places (the office's remoteHeadInPlaces), and never again
    assert (await follow(front, outside["id"]))["headInAt"] is not None
    (row,) = await outbox_rows(state, "queue.head_in")
    mail = await composed(state, settings, row)
    assert mail is not None
    message = message_from_bytes(mail.as_bytes(), policy=policy.default.clone(raise_on_defect=True))
    assert message["To"].addresses[0].addr_spec == "vecina5@example.org"
    assert subject_of(message) == "Ya casi es su turno: venga a Office centro (D-004)"
    body = plain(message)
    assert outside["remoteCode"] in body
    assert f"/ticket/{outside['id']}" in body

    # once the holder is inside, the mail would only mislead: it is not composed
    await front.api.run(CHECK_IN, {"o": front.office_id, "c": outside["remoteCode"]}, front.kiosk)
    assert await composed(state, settings, row) is None


async def test_a_remote_ticket_that_never_comes_is_a_no_show_after_the_grace(front: FrontDesk, state: AppState) -> None:
    await front.api.office(front.admin, checkinClosesMinutes=10)
    at_front = await join(front, 1)
    behind = await join(front, 2)
    context: JobContext = {"turnero_state": state}

    assert (await sweep_no_shows(context))["remote"] == 0  # within the grace
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE tickets SET head_in_at = now() - interval '11 minutes' WHERE id = ANY(:ids)"),
            {"ids": [ticket_pk(at_front["id"]), ticket_pk(behind["id"])]},
        )
        await conn.execute(
            text("UPDATE remote_tickets SET front_at = now() - interval '11 minutes' WHERE front_at IS NOT NULL")
        )

    assert (await sweep_no_shows(context))["remote"] == 1  # the one at the front; the other never was
    assert (await sweep_no_shows(context))["remote"] == 0
    assert (await front.ticket(at_front["id"]))["status"] == "NO_SHOW"
    assert (await front.ticket(behind["id"]))["status"] == "WAITING"
    assert [kind for _, kind, _ in await events(state, front.office_id)][-1] == "NO_SHOW"


async def test_walk_ins_beyond_the_maximum_wait_outside_and_are_let_in_as_people_leave(
    api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token, maxOccupancy=2)
    inside = [await walk_in(front) for _ in range(2)]
    door = await walk_in(front)
    occupancy = await api.run(OCCUPANCY, {"o": front.office_id}, front.display)

    assert [t["remote"] for t in inside] == [False, False]
    assert (door["remote"], door["headInAt"], len(door["remoteCode"])) == (True, None, 6)
    assert occupancy["board"]["occupancy"] == {"inside": 2, "max": 2}
    # the manager's figure is the same: the one at the door is not inside
    live = (await api.run(LIVE_INSIDE, {"o": front.office_id}, admin_token))["officeLive"]
    assert (live["peopleInside"], live["occupancyRate"]) == (2, 1.0)
    full = await api.run(CHECK_IN, {"o": front.office_id, "c": door["remoteCode"]}, front.kiosk)
    assert (full["checkIn"]["__typename"], full["checkIn"]["reason"]) == ("InvalidState", "OFFICE_FULL")

    await front.call()  # called is still inside
    assert (await follow(front, door["id"]))["headInAt"] is None
    await serve_next_called(front, inside[0]["id"])
    assert (await follow(front, door["id"]))["headInAt"] is not None  # one left: room for the one at the door
    another = await walk_in(front)
    assert another["remote"] is True  # the room is kept for the one told to come in
    came = await api.run(CHECK_IN, {"o": front.office_id, "c": door["remoteCode"]}, front.kiosk)
    assert came["checkIn"]["remote"] is False
    assert (await api.run(OCCUPANCY, {"o": front.office_id}, front.display))["board"]["occupancy"] == {
        "inside": 2,
        "max": 2,
    }
    assert await scalar(state, "SELECT origin FROM remote_tickets WHERE ticket_id = :t", t=ticket_pk(door["id"])) == (
        "DOOR"
    )


async def serve_next_called(front: FrontDesk, ticket_id: str) -> None:
    for step in ("startService", "completeTicket"):
        assert (await front.move(step, ticket_id))["__typename"] == "Ticket"


async def test_parallel_walk_ins_never_let_more_than_the_maximum_inside(
    api: Api, admin_token: str, state: AppState, one_server: str
) -> None:
    front = await front_desk(api, admin_token, maxOccupancy=3)
    body = {"query": ISSUE_REMOTE, "variables": {"o": front.office_id, "s": front.services["dni"]}}

    # twelve walk-ins at the same moment, each on its own connection to a real `serve`
    answers = await at_once([one_server], [body] * 12, token=front.kiosk)

    remote = [answer["remote"] for answer in answers]
    assert remote.count(False) == 3
    assert remote.count(True) == 9
    assert await scalar(state, "SELECT count(*) FROM tickets WHERE NOT remote") == 3
    assert await scalar(state, "SELECT count(DISTINCT remote_code) FROM tickets WHERE remote") == 9


async def test_a_retried_join_with_its_key_gets_the_same_ticket(front: FrontDesk, state: AppState) -> None:
    first = await join(front, 3, idempotencyKey="join-1")
    again = await join(front, 3, idempotencyKey="join-1")
    other = await join(front, 3, service="tasas", idempotencyKey="join-1")  # same key, another request

    assert first["__typename"] == again["__typename"] == "Ticket"
    assert (again["id"], again["remoteCode"]) == (first["id"], first["remoteCode"])
    assert (other["__typename"], other["field"]) == ("ValidationError", "idempotencyKey")
    assert await scalar(state, "SELECT count(*) FROM tickets") == 1
