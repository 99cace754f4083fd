"""The kiosk keeps serving through a real network cut (a TCP proxy to a real `main.py serve`), and its spool
reaches the server exactly once, in order, even when the replay itself is cut."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from core.runtime import AppState
from kiosk_client.api import TicketInfo
from kiosk_client.arrivals import OfflineTicket, OutOfNumbers
from kiosk_client.spool import ArrivalState
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, booking_due_in, events, front_desk
from tests.support.kiosk import Kiosk, kiosk

pytestmark = pytest.mark.slow


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(api, admin_token, services=("dni", "licencias"), checkinOpensMinutes=60)


async def server_tickets(state: AppState, office_id: str) -> list[tuple[str, str, str]]:
    """(number, issued_at, priority) of every ticket of the office, in queue order of arrival."""
    async with state.engine.connect() as conn:
        rows = await conn.execute(
            text("""SELECT number, issued_at, priority::text FROM tickets WHERE office_id = :o
                    ORDER BY issued_at, id"""),
            {"o": int(office_id)},
        )
        return [(row[0], row[1].isoformat(), row[2]) for row in rows]


async def serve_twenty_offline(kiosk_: Kiosk, front: FrontDesk, state: AppState) -> list[OfflineTicket]:
    """Twenty citizens while the network is down: walk-ins of both services (some priority) and check-ins."""
    office = kiosk_.arrivals.office
    assert office is not None
    services = {service.id: service for service in office.services}
    codes = [await booking_due_in(front, state, 20 + n, document=f"3100000{n}") for n in range(4)]
    await kiosk_.proxy.cut()
    told: list[OfflineTicket] = []
    for n in range(20):
        if n % 5 == 4:
            outcome = await kiosk_.arrivals.check_in(codes[n // 5])
        else:
            service = services[front.services["dni" if n % 2 else "licencias"]]
            outcome = await kiosk_.arrivals.walk_in(service, "PRIORITY" if n % 7 == 3 else "STANDARD")
        assert isinstance(outcome, OfflineTicket), outcome
        told.append(outcome)
        await asyncio.sleep(0.01)  # arrivals some moments apart, as at a real kiosk
    assert not kiosk_.arrivals.online
    return told


def same_number(told: OfflineTicket, number: str) -> bool:
    """A walk-in is told its full number; a check-in (service unknown offline) its digits."""
    return number == told.number if told.service_name else number.split("-")[1] == told.number


async def test_twenty_citizens_while_the_api_is_away_reach_it_exactly_once_in_order(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        await kiosk_.arrivals.refresh()
        online = await kiosk_.arrivals.walk_in(kiosk_.arrivals.office.services[0])  # type: ignore[union-attr]
        assert isinstance(online, TicketInfo)
        told = await serve_twenty_offline(kiosk_, front, state)
        # while the API is away the server knows only the ticket given online
        assert len(await server_tickets(state, front.office_id)) == 1
        assert await kiosk_.arrivals.replay() == 0  # still away: nothing lost, nothing settled
        assert len(kiosk_.spool.pending()) == 20

        await kiosk_.proxy.open()
        assert await kiosk_.arrivals.replay() == 20
        assert kiosk_.arrivals.online
        tickets = await server_tickets(state, front.office_id)
        assert len(tickets) == 21
        offline = [ticket for ticket in tickets if ticket[0] != online.number]
        assert len(offline) == 20
        # in the order the citizens came, each with the number they were given and the time they were there
        for outcome, (number, issued_at, _) in zip(told, offline, strict=True):
            assert same_number(outcome, number), (outcome, number)
            assert issued_at == outcome.arrived_at.isoformat()
        assert len({number for number, _, _ in tickets}) == 21
        assert [a.state for a in kiosk_.spool.all()] == [ArrivalState.DONE] * 21

        # replaying again, or the same keys once more, creates nothing
        assert await kiosk_.arrivals.replay() == 0
        first = kiosk_.spool.all()[1]
        again = await kiosk_.api.issue_ticket(
            front.office_id,
            first.service_id or "",
            first.priority,
            idempotency_key=first.idempotency_key,
            arrived_at=first.arrived_at,
            block_number=first.block_number,
        )
        assert isinstance(again, TicketInfo)
        assert again.id == first.ticket_id
        assert len(await server_tickets(state, front.office_id)) == 21


async def test_a_replay_cut_halfway_still_gives_each_citizen_one_ticket(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        await kiosk_.arrivals.refresh()
        told = await serve_twenty_offline(kiosk_, front, state)
        await kiosk_.proxy.open()
        # the 8th replayed request reaches the server, which issues its ticket; its answer is lost in the cut
        kiosk_.proxy.lose_answer_of = kiosk_.proxy.requests + 8
        settled = await kiosk_.arrivals.replay()
        assert settled == 7
        assert len(await server_tickets(state, front.office_id)) == 8  # one more than the kiosk knows of
        assert len(kiosk_.spool.pending()) == 13

        kiosk_.proxy.lose_answer_of = None
        await kiosk_.proxy.open()
        assert await kiosk_.arrivals.replay() == 13
        tickets = await server_tickets(state, front.office_id)
        assert len(tickets) == 20
        for outcome, (number, _, _) in zip(told, tickets, strict=True):
            assert same_number(outcome, number), (outcome, number)
        assert len({number for number, _, _ in tickets}) == 20


async def test_a_kiosk_out_of_reserved_numbers_sends_citizens_to_the_desk_and_forgets_them(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path, block_size=2) as kiosk_:
        await kiosk_.arrivals.refresh()
        service = kiosk_.arrivals.office.walk_in_services[0]  # type: ignore[union-attr]
        await kiosk_.proxy.cut()
        first, second, third = [await kiosk_.arrivals.walk_in(service) for _ in range(3)]
        assert isinstance(first, OfflineTicket)
        assert isinstance(second, OfflineTicket)
        assert isinstance(third, OutOfNumbers)
        await kiosk_.proxy.open()
        assert await kiosk_.arrivals.replay() == 2
        assert [t[0] for t in await server_tickets(state, front.office_id)] == [first.number, second.number]
        assert [a.state for a in kiosk_.spool.all()] == [ArrivalState.DONE, ArrivalState.DONE, ArrivalState.REFUSED]


async def test_a_kiosk_that_starts_offline_knows_its_office_from_the_spool(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        office = await kiosk_.arrivals.refresh()
        assert office is not None
        assert {s.id for s in office.walk_in_services} == set(front.services.values())
    async with kiosk(front, one_server, tmp_path) as restarted:
        await restarted.proxy.cut()
        assert await restarted.arrivals.refresh() == office
        assert not restarted.arrivals.online
        outcome = await restarted.arrivals.walk_in(office.services[0])
        assert isinstance(outcome, OfflineTicket)
        await restarted.proxy.open()
        assert await restarted.arrivals.replay() == 1
        assert [t[0] for t in await server_tickets(state, front.office_id)] == [outcome.number]


async def test_the_client_follows_a_ticket_live_until_it_is_final(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        await kiosk_.arrivals.refresh()
        ticket = await kiosk_.arrivals.walk_in(kiosk_.arrivals.office.walk_in_services[0])  # type: ignore[union-attr]
        assert isinstance(ticket, TicketInfo)
        seen: list[str] = []
        async with asyncio.timeout(20):
            async for update in kiosk_.api.ticket_updates(ticket.id):
                seen.append(update.status)
                assert update.number == ticket.number
                if update.status == "WAITING":
                    assert (await front.call())["__typename"] == "Ticket"
                elif update.status == "CALLED":
                    assert (await front.move("markNoShow", ticket.id))["__typename"] == "Ticket"
        assert seen == ["WAITING", "CALLED", "NO_SHOW"]


async def test_an_arrival_after_the_network_returns_is_served_online_behind_the_spool(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        service = (await kiosk_.arrivals.refresh()).walk_in_services[0]  # type: ignore[union-attr]
        await kiosk_.proxy.cut()
        waiting = [await kiosk_.arrivals.walk_in(service) for _ in range(3)]
        await kiosk_.proxy.open()
        await kiosk_.arrivals.refresh()  # the kiosk's maintenance sees the API again
        assert kiosk_.arrivals.online
        assert len(kiosk_.spool.pending()) == 3
        newcomer = await kiosk_.arrivals.walk_in(service)
        assert isinstance(newcomer, TicketInfo)  # not an offline number: the spool went first
        assert not kiosk_.spool.pending()
        numbers = [number for number, _, _ in await server_tickets(state, front.office_id)]
        assert numbers == [*(ticket.number for ticket in waiting if isinstance(ticket, OfflineTicket)), newcomer.number]
        assert len(numbers) == 4


async def test_a_walk_in_whose_answer_was_lost_is_called_by_the_number_on_its_slip(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with kiosk(front, one_server, tmp_path) as kiosk_:
        service = (await kiosk_.arrivals.refresh()).walk_in_services[0]  # type: ignore[union-attr]
        # the request reaches the server, which issues a ticket; the network dies before the answer is back
        kiosk_.proxy.lose_answer_of = kiosk_.proxy.requests + 1
        slip = await kiosk_.arrivals.walk_in(service)
        assert isinstance(slip, OfflineTicket), slip
        [(unheard, _, _)] = await server_tickets(state, front.office_id)
        assert unheard != slip.number  # the server's own next number, which nobody was told

        kiosk_.proxy.lose_answer_of = None
        await kiosk_.proxy.open()
        assert await kiosk_.arrivals.replay() == 1
        [(number, _, _)] = await server_tickets(state, front.office_id)
        assert number == slip.number
        assert kiosk_.spool.pending() == []
        assert (await front.call())["number"] == slip.number
        assert [kind for _, kind, _ in await events(state, front.office_id)] == ["ISSUED", "RENUMBERED", "CALLED"]
