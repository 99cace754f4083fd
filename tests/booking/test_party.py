"""A family in one booking (issue 14 part 7), through a real `serve` process: a party takes as many seats of one
slot as people, under one code, all or none; each person counts in the per-citizen limits; its seats come back
together; the kiosk checks it in as one ticket."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.confirmations import expire_unconfirmed
from notifications.outbox import OutboxRow
from resolvers.outbox.mail import compose
from tests.support.api import Api
from tests.support.booking import CANCEL, RESCHEDULE, ZONE, bookable_slots, citizen, scalar
from tests.support.front_desk import front_desk
from tests.support.processes import at_once

pytestmark = pytest.mark.slow

BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { manageToken booking { id code status partySize slot { id remaining }
        citizen { name } companions { name documentHint } } }
    ... on SlotUnavailable { code message }
    ... on ValidationError { field message }
    ... on UserError { code message } } }"""
HOLD = """mutation($s: ID!, $n: Int) { holdSlot(slotId: $s, partySize: $n) { __typename
    ... on SlotHold { token slot { id remaining held } }
    ... on SlotUnavailable { code }
    ... on ValidationError { field }
    ... on UserError { code message } } }"""
SERVICE = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename
    ... on Service { maxPartySize } ... on ValidationError { field } ... on UserError { message } } }"""
JOIN = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
    ... on WaitlistEntry { id status manageToken } ... on UserError { code message } } }"""
TICKET = """mutation($o: ID!, $c: String!) { checkIn(officeId: $o, code: $c) { __typename
    ... on Ticket { number partySize booking { partySize companions { name } } }
    ... on UserError { code message } } }"""


@pytest.fixture
async def web(two_servers: list[str]) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=two_servers[0], timeout=30) as http:
        yield Api(http)


def person(document: str, name: str = "Hijo Pérez") -> dict[str, Any]:
    """A companion as the booking page sends one: a name and a document."""
    return {"name": name, "documentId": document}


async def book_party(
    api: Api, slot_id: str, companions: list[dict[str, Any]], holder: str = "30123456", **fields: Any
) -> dict[str, Any]:
    request = {"slotId": slot_id, "citizen": citizen(holder), "companions": companions} | fields
    result: dict[str, Any] = (await api.run(BOOK, {"i": request}))["book"]
    return result


async def seats_of(state: AppState, slot_id: str) -> tuple[int, int, int]:
    """The slot's booked seats, its bookings' people, and the companions stored."""
    async with state.engine.connect() as conn:
        row = (
            await conn.execute(
                text("""SELECT sl.booked,
                               (SELECT coalesce(sum(party_size), 0) FROM bookings
                                WHERE slot_id = sl.id AND status IN ('BOOKED', 'PENDING')) AS people,
                               (SELECT count(*) FROM booking_companions) AS companions
                        FROM slots sl WHERE sl.id = :id"""),
                {"id": int(slot_id)},
            )
        ).one()
    return int(row.booked), int(row.people), int(row.companions)


async def test_a_party_takes_a_seat_each_under_one_code(
    web: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=4, maxPartySize=3))[0]

    made = await book_party(web, slot_id, [person("40111222", "Luz Pérez"), person("40333444", "Leo Pérez")])

    assert made["__typename"] == "BookingConfirmation", made
    booking = made["booking"]
    assert booking["partySize"] == 3
    assert booking["slot"] == {"id": slot_id, "remaining": 1}
    assert booking["companions"] == [
        {"name": "Luz Pérez", "documentHint": "***1222"},
        {"name": "Leo Pérez", "documentHint": "***3444"},
    ]
    assert await seats_of(state, slot_id) == (3, 3, 2)
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1  # one booking, one code, one token
    async with state.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT document_hash FROM booking_companions"))).scalars().all()
    assert all(len(value) == 32 and b"40111222" not in value for value in stored)  # only keyed hashes
    # the confirmation mail says how many people the appointment is for
    async with state.engine.connect() as conn:
        mail = await compose(conn, settings, OutboxRow(0, "booking.confirmation", int(booking["id"]), {}, 1))
    assert mail is not None
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "Personas: 3" in plain.get_content()


async def test_a_party_larger_than_the_free_seats_is_refused_and_nothing_is_written(
    web: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=2, maxPartySize=3))[0]

    refused = await book_party(web, slot_id, [person("40111222"), person("40333444")])

    assert (refused["__typename"], refused["code"]) == ("SlotUnavailable", "SLOT_FULL"), refused
    assert "menos que el grupo" in refused["message"]  # the citizen's locale (es) wins
    assert await seats_of(state, slot_id) == (0, 0, 0)
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0
    # the two seats are still there for a party that fits
    fits = await book_party(web, slot_id, [person("40111222")])
    assert fits["__typename"] == "BookingConfirmation", fits
    assert await seats_of(state, slot_id) == (2, 2, 1)


async def test_parties_are_bounded_by_the_service_and_nobody_comes_twice(
    web: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=10, maxPartySize=2))[0]

    too_many = await book_party(web, slot_id, [person("40111222"), person("40333444")])
    twice = await book_party(web, slot_id, [person("40.111.222"), person("40111222")])
    holder_again = await book_party(web, slot_id, [person("30.123.456")])
    bad = await book_party(web, slot_id, [person("x")])
    over_service = (
        await web.run(
            SERVICE, {"i": {"slug": "dni", "name": "DNI", "durationMinutes": 15, "maxPartySize": 11}}, admin_token
        )
    )["upsertService"]

    assert (too_many["__typename"], too_many["field"]) == ("ValidationError", "companions"), too_many
    assert (twice["__typename"], twice["field"]) == ("ValidationError", "companions.1.documentId"), twice
    assert (holder_again["__typename"], holder_again["field"]) == ("ValidationError", "companions.0.documentId")
    assert (bad["__typename"], bad["field"]) == ("ValidationError", "companions.0.documentId"), bad
    assert (over_service["__typename"], over_service["field"]) == ("ValidationError", "maxPartySize"), over_service
    assert await seats_of(state, slot_id) == (0, 0, 0)
    # absent, maxPartySize keeps what the service had
    kept = await web.run(SERVICE, {"i": {"slug": "dni", "name": "DNI", "durationMinutes": 15}}, admin_token)
    assert kept["upsertService"] == {"__typename": "Service", "maxPartySize": 2}


async def test_each_companion_counts_in_the_per_citizen_limits(web: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(web, admin_token, capacity=5, maxPartySize=3)
    alone = await book_party(web, slots[0], [], holder="40111222")
    assert alone["__typename"] == "BookingConfirmation", alone

    # the companion already holds the most bookings allowed (1): the whole party is refused
    refused = await book_party(web, slots[1], [person("40333444"), person("40.111.222")])

    assert (refused["__typename"], refused["code"]) == ("LimitExceeded", "LIMIT_EXCEEDED"), refused
    assert "acompañante 2" in refused["message"]  # the citizen's locale (es) wins
    assert await seats_of(state, slots[1]) == (0, 0, 0)
    # and once someone came as a companion, they cannot book again on their own
    party = await book_party(web, slots[1], [person("40333444")])
    assert party["__typename"] == "BookingConfirmation", party
    again = await book_party(web, slots[2], [], holder="40333444")
    assert again["__typename"] == "LimitExceeded", again


async def test_a_cancelled_party_gives_every_seat_back_each_offered_to_the_waitlist(
    web: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=3, maxPartySize=3))[0]
    made = await book_party(web, slot_id, [person("40111222"), person("40333444")])
    assert made["__typename"] == "BookingConfirmation", made
    service_id = str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    today = datetime.now(ZoneInfo(ZONE)).date()
    window = {"serviceId": service_id, "from": today.isoformat(), "to": (today + timedelta(days=7)).isoformat()}
    for document in ("50111222", "50333444"):
        joined = (await web.run(JOIN, {"i": window | {"citizen": citizen(document)}}))["joinWaitlist"]
        assert joined["__typename"] == "WaitlistEntry", joined

    cancelled = await web.run(CANCEL, {"c": made["booking"]["code"], "t": made["manageToken"]})

    assert cancelled["cancelBooking"]["__typename"] == "Booking", cancelled
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 0
    # seat by seat: one offer to each waiting person, the third seat back on sale (the suite's delay is 0)
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries WHERE status = 'OFFERED'") == 2
    assert await scalar(state, "SELECT coalesce(sum(seats), 0) FROM slot_holds WHERE expires_at > now()") == 2


async def test_a_held_party_books_with_as_many_people_as_the_hold_keeps(
    web: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=4, maxPartySize=3))[0]

    held = (await web.run(HOLD, {"s": slot_id, "n": 3}))["holdSlot"]
    too_big = (await web.run(HOLD, {"s": slot_id, "n": 4}))["holdSlot"]
    no_room = (await web.run(HOLD, {"s": slot_id, "n": 2}))["holdSlot"]

    assert held["__typename"] == "SlotHold", held
    assert held["slot"] == {"id": slot_id, "remaining": 1, "held": 3}
    assert (too_big["__typename"], too_big["field"]) == ("ValidationError", "partySize"), too_big
    assert (no_room["__typename"], no_room["code"]) == ("SlotUnavailable", "SLOT_FULL"), no_room
    short = await book_party(web, slot_id, [person("40111222")], holdToken=held["token"])
    assert (short["__typename"], short["field"]) == ("ValidationError", "companions"), short
    made = await book_party(web, slot_id, [person("40111222"), person("40333444")], holdToken=held["token"])
    assert made["__typename"] == "BookingConfirmation", made
    assert made["booking"]["slot"] == {"id": slot_id, "remaining": 1}
    assert await seats_of(state, slot_id) == (3, 3, 2)
    assert await scalar(state, "SELECT count(*) FROM slot_holds") == 0


async def test_a_rescheduled_party_moves_whole_or_not_at_all(web: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(web, admin_token, capacity=3, maxPartySize=3)
    made = await book_party(web, slots[0], [person("40111222"), person("40333444")])
    assert made["__typename"] == "BookingConfirmation", made
    other = await book_party(web, slots[1], [], holder="50111222")
    assert other["__typename"] == "BookingConfirmation", other
    code, token = made["booking"]["code"], made["manageToken"]

    refused = (await web.run(RESCHEDULE, {"c": code, "s": slots[1], "t": token}))["rescheduleBooking"]
    moved = (await web.run(RESCHEDULE, {"c": code, "s": slots[2], "t": token}))["rescheduleBooking"]

    assert refused["__typename"] == "SlotUnavailable", refused
    assert moved["__typename"] == "BookingConfirmation", moved
    assert [await seats_of(state, s) for s in slots[:3]] == [(0, 0, 2), (1, 1, 2), (3, 3, 2)]


async def test_parties_from_two_processes_at_once_never_pass_capacity(
    web: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    capacity = 7
    slot_id = (await bookable_slots(web, admin_token, capacity=capacity, maxPartySize=3))[0]
    requests = [
        {
            "query": BOOK,
            "variables": {
                "i": {
                    "slotId": slot_id,
                    "citizen": citizen(f"6{n:07d}"),
                    "companions": [person(f"7{n:03d}{k:04d}") for k in range(n % 3)],
                }
            },
        }
        for n in range(30)
    ]
    addresses = [f"198.51.100.{n + 1}" for n in range(30)]

    results = await at_once(two_servers, requests, addresses=addresses)

    outcomes = Counter(result["__typename"] for result in results)
    assert set(outcomes) == {"BookingConfirmation", "SlotUnavailable"}, outcomes
    taken = sum(r["booking"]["partySize"] for r in results if r["__typename"] == "BookingConfirmation")
    booked, people, companions = await seats_of(state, slot_id)
    assert taken == booked == people <= capacity
    assert booked >= capacity - 2  # the refused were refused for want of seats, not by mistake
    assert companions == people - outcomes["BookingConfirmation"]


async def test_the_kiosk_checks_a_party_in_as_one_ticket(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token)
    await api.service(admin_token, slug="dni", ticketPrefix="D", maxPartySize=3)
    async with state.engine.begin() as conn:
        slot_id = (
            await conn.execute(
                text("""INSERT INTO slots (office_id, service_id, starts_at, ends_at, capacity)
                        VALUES (:o, :s, now() + interval '1 day', now() + interval '1 day 15 minutes', 3)
                        RETURNING id"""),
                {"o": int(front.office_id), "s": int(front.services["dni"])},
            )
        ).scalar_one()
    made = await book_party(api, str(slot_id), [person("40111222", "Luz"), person("40333444", "Leo")])
    assert made["__typename"] == "BookingConfirmation", made
    async with state.engine.begin() as conn:  # the appointment is now, within the check-in window
        await conn.execute(
            text("UPDATE slots SET starts_at = now() + interval '5 minutes' WHERE id = :id"), {"id": slot_id}
        )
        await conn.execute(
            text(
                "UPDATE bookings SET starts_at = now() + interval '5 minutes', ends_at = now() + interval '20 minutes'"
            )
        )

    ticket = (await api.run(TICKET, {"o": front.office_id, "c": made["booking"]["code"]}, front.kiosk))["checkIn"]
    again = (await api.run(TICKET, {"o": front.office_id, "c": made["booking"]["code"]}, front.kiosk))["checkIn"]

    assert ticket["__typename"] == "Ticket", ticket
    assert ticket["partySize"] == 3
    assert ticket["booking"] is None or ticket["booking"]["partySize"] == 3
    assert again["__typename"] == "Ticket", again
    assert again["number"] == ticket["number"]  # one ticket for the party, not one each
    assert await scalar(state, "SELECT count(*) FROM tickets") == 1


async def test_an_unconfirmed_party_gives_back_every_seat(web: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=3, maxPartySize=3, confirmationRequired=True))[0]
    made = await book_party(web, slot_id, [person("40111222"), person("40333444")])
    assert made["__typename"] == "BookingConfirmation", made
    assert made["booking"]["status"] == "PENDING"
    assert await seats_of(state, slot_id) == (3, 3, 2)
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET confirm_by = now() - interval '1 second'"))

    swept = await expire_unconfirmed({"turnero_state": state})

    assert swept == {"expired": 3}  # counted in seats: one per person
    assert await seats_of(state, slot_id) == (0, 0, 2)
    assert await scalar(state, "SELECT status::text FROM bookings") == "CANCELLED"


async def test_a_party_sent_twice_with_one_key_is_booked_once(web: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(web, admin_token, capacity=6, maxPartySize=3))[0]
    family = [person("40111222"), person("40333444")]

    first = await book_party(web, slot_id, family, idempotencyKey="family-1")
    again = await book_party(web, slot_id, family, idempotencyKey="family-1")
    other = await book_party(web, slot_id, family[:1], idempotencyKey="family-1")

    assert first["__typename"] == again["__typename"] == "BookingConfirmation", (first, again)
    assert again["booking"]["code"] == first["booking"]["code"]
    assert (other["__typename"], other["field"]) == ("ValidationError", "idempotencyKey"), other
    assert await seats_of(state, slot_id) == (3, 3, 2)
