"""The live queue across real processes: desks calling at once, and subscribers on one API process seeing
what happens through another, in order, without gaps, and again after they reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.exceptions import ConnectionClosed

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import CALL_NEXT, ISSUE, TRANSFER, add_desk, events, front_desk, ticket_pk
from tests.support.live import QUEUE_EVENTS, error_codes, socket
from tests.support.processes import at_once

pytestmark = pytest.mark.slow

DESKS = 20


@pytest.fixture
async def remote(two_servers: list[str]) -> AsyncIterator[list[Api]]:
    """One API client per server process, over real HTTP."""
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for base in two_servers]
    yield [Api(client) for client in clients]
    for client in clients:
        await client.aclose()


async def state_ids(state: AppState, sql: str, **params: Any) -> set[int]:
    async with state.engine.connect() as conn:
        return {row[0] for row in await conn.execute(text(sql), params)}


async def test_twenty_desks_calling_at_once_get_twenty_different_citizens(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    front = await front_desk(api, admin_token)
    for number in range(2, DESKS + 1):
        front.desks[str(number)] = await add_desk(
            api, admin_token, front.office_id, str(number), [front.services["dni"]]
        )

    async with socket(two_servers[0], front.display) as watcher:
        await watcher.subscribe("q", QUEUE_EVENTS, {"o": front.office_id, "a": 0})
        # thirty walk-ins at once through both processes: thirty different numbers, no gap
        issue = {"query": ISSUE, "variables": {"o": front.office_id, "s": front.services["dni"]}}
        issued = await at_once(two_servers, [issue] * 30, front.kiosk)
        assert sorted(t["number"] for t in issued) == [f"D-{n:03d}" for n in range(1, 31)]

        calls = [{"query": CALL_NEXT, "variables": {"d": desk}} for desk in front.desks.values()]
        called = await at_once(two_servers, calls, front.clerk)

        assert {c["__typename"] for c in called} == {"Ticket"}, called
        assert len({c["id"] for c in called}) == DESKS
        assert sorted(c["desk"]["name"] for c in called) == sorted(front.desks)
        # the first twenty in line, whichever desk got whom
        first_in_line = await state_ids(state, "SELECT id FROM tickets ORDER BY due_at, id LIMIT :n", n=DESKS)
        assert {ticket_pk(c["id"]) for c in called} == first_in_line
        assert await scalar(state, "SELECT count(*) FROM tickets WHERE status = 'CALLED'") == DESKS
        log = await events(state, front.office_id)
        assert [seq for seq, _, _ in log] == list(range(1, 30 + DESKS + 1))

        # the watcher on the first process saw every event of both, in seq order, without a gap
        seen = await watcher.events("q", until_seq=30 + DESKS)
        assert [e["seq"] for e in seen] == list(range(1, 30 + DESKS + 1))
        assert [(e["seq"], e["type"], ticket_pk(e["ticket"]["id"])) for e in seen] == log

    # and a second round finds every desk busy: nobody is called twice
    again = await at_once(two_servers, calls, front.clerk)
    assert {c["__typename"] for c in again} == {"InvalidState"}


async def test_a_subscriber_sees_another_process_changes_live_and_catches_up_after_reconnecting(
    api: Api, admin_token: str, state: AppState, two_servers: list[str], remote: list[Api]
) -> None:
    front = await front_desk(api, admin_token, desks={"1": ("dni",), "2": ("dni",)})
    front.api = remote[1]  # every change goes through the second process

    async with socket(two_servers[0], front.display) as watcher:
        await watcher.subscribe("live", QUEUE_EVENTS, {"o": front.office_id})
        await asyncio.sleep(0.5)  # no afterSeq: live from now on; give the subscription a moment to start
        first = await front.issue()
        assert (await watcher.next("live"))["queueEvents"]["seq"] == 1
        tickets = [first, *[await front.issue() for _ in range(3)]]
        a = await front.call("1")
        b = await front.call("2")
        await front.move("recall", a["id"])
        await front.move("startService", a["id"])
        await front.move("completeTicket", a["id"])
        await front.move("markNoShow", b["id"])
        await front.move("cancelTicket", tickets[3]["id"])
        seen = await watcher.events("live", until_seq=11)
        expected = [
            (2, "ISSUED"),
            (3, "ISSUED"),
            (4, "ISSUED"),
            (5, "CALLED"),
            (6, "CALLED"),
            (7, "RECALLED"),
            (8, "SERVING"),
            (9, "DONE"),
            (10, "NO_SHOW"),
            (11, "CANCELLED"),
        ]
        assert [(e["seq"], e["type"]) for e in seen] == expected
        assert seen[3]["desk"] == {"name": "1"}
        assert seen[7]["ticket"]["status"] == "DONE"  # the ticket as it is when the event is delivered

    # while nobody watches, things go on: a transfer (two events) and another call
    moved = await front.api.run(
        "mutation($t: ID!, $s: ID!) { transferTicket(ticketId: $t, serviceId: $s) { ... on Ticket { id } } }",
        {"t": tickets[2]["id"], "s": front.services["dni"]},
        front.clerk,
    )
    await front.call("1")

    # reconnecting to the other process with afterSeq gets exactly what was missed, then live again
    async with socket(two_servers[1], front.display) as watcher:
        await watcher.subscribe("again", QUEUE_EVENTS, {"o": front.office_id, "a": 11})
        missed = await watcher.events("again", until_seq=14)
        assert [(e["seq"], e["type"]) for e in missed] == [(12, "TRANSFERRED"), (13, "ISSUED"), (14, "CALLED")]
        assert missed[1]["ticket"]["id"] == moved["transferTicket"]["id"]
        await front.issue()
        assert [(e["seq"], e["type"]) for e in await watcher.events("again", until_seq=15)] == [(15, "ISSUED")]
        with pytest.raises(TimeoutError):
            await watcher.message("again", seconds=1.0)  # nothing repeated after it


async def test_the_board_and_one_ticket_follow_changes_made_elsewhere(
    api: Api, admin_token: str, two_servers: list[str], remote: list[Api]
) -> None:
    front = await front_desk(api, admin_token)
    front.api = remote[1]
    ahead, mine = await front.issue(), await front.issue()

    board = """subscription($o: ID!) { board(officeId: $o) { seq recentCalls { number } queues { waiting } } }"""
    follow = """subscription($t: ID!) { ticketUpdates(ticketId: $t) { number status position desk { name } } }"""
    async with socket(two_servers[0], front.display) as screen, socket(two_servers[0], None) as phone:
        await screen.subscribe("b", board, {"o": front.office_id})
        await phone.subscribe("t", follow, {"t": mine["id"]})
        assert (await screen.next("b"))["board"] == {"seq": 2, "recentCalls": [], "queues": [{"waiting": 2}]}
        assert (await phone.next("t"))["ticketUpdates"]["position"] == 2

        await front.call()
        assert (await screen.next("b"))["board"] == {
            "seq": 3,
            "recentCalls": [{"number": ahead["number"]}],
            "queues": [{"waiting": 1}],
        }
        assert (await phone.next("t"))["ticketUpdates"]["position"] == 1

        await front.move("startService", ahead["id"])
        await front.move("completeTicket", ahead["id"])
        await front.call()
        # finishing the ticket ahead changes nothing the phone shows; the call does
        assert (await phone.next("t"))["ticketUpdates"] == {
            "number": mine["number"],
            "status": "CALLED",
            "position": None,
            "desk": {"name": "1"},
        }
        await front.move("startService", mine["id"])
        await front.move("completeTicket", mine["id"])
        while (update := (await phone.next("t"))["ticketUpdates"])["status"] != "DONE":
            assert update["status"] == "SERVING"
        assert (await phone.message("t"))["type"] == "complete"  # a finished ticket ends the subscription


async def test_a_citizen_following_a_ticket_is_taken_along_when_it_is_transferred(
    api: Api, admin_token: str, two_servers: list[str], remote: list[Api]
) -> None:
    front = await front_desk(api, admin_token, services=("dni", "licencia"))
    front.api = remote[1]
    ticket = await front.issue("dni")
    follow = """subscription($t: ID!) { ticketUpdates(ticketId: $t) { id number status service { slug } } }"""
    async with socket(two_servers[0], None) as phone:
        await phone.subscribe("t", follow, {"t": ticket["id"]})
        assert (await phone.next("t"))["ticketUpdates"]["status"] == "WAITING"
        await front.call()
        assert (await phone.next("t"))["ticketUpdates"]["status"] == "CALLED"
        await front.api.run(TRANSFER, {"t": ticket["id"], "s": front.services["licencia"]}, front.clerk)

        transferred = (await phone.next("t"))["ticketUpdates"]
        carried_on = (await phone.next("t"))["ticketUpdates"]
        assert (transferred["id"], transferred["status"]) == (ticket["id"], "TRANSFERRED")
        assert carried_on["id"] != ticket["id"]
        assert (carried_on["number"], carried_on["status"], carried_on["service"]) == (
            "L-002",
            "WAITING",
            {"slug": "licencia"},
        )
        await front.move("cancelTicket", carried_on["id"])
        assert (await phone.next("t"))["ticketUpdates"]["status"] == "CANCELLED"
        assert (await phone.message("t"))["type"] == "complete"


async def test_websocket_callers_are_checked_like_any_other(api: Api, admin_token: str, two_servers: list[str]) -> None:
    front = await front_desk(api, admin_token)
    other = await front_desk(api, admin_token, slug="norte")

    with pytest.raises(ConnectionClosed) as closed:
        async with socket(two_servers[0], "td_not-a-real-token") as refused:
            await refused.connection.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403

    for token in (None, other.display, other.clerk):
        async with socket(two_servers[0], token) as watcher:
            await watcher.subscribe("q", QUEUE_EVENTS, {"o": front.office_id})
            assert error_codes(await watcher.message("q")) == ["NOT_ALLOWED"], token

    async with socket(two_servers[0], None) as phone:
        await phone.subscribe("t", "subscription { ticketUpdates(ticketId: 424242) { status } }", {})
        assert error_codes(await phone.message("t")) == ["NOT_FOUND"]
