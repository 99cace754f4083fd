"""Proof of a reachable person (issue 14, part 3), through a real `serve`: a booking of a service that asks for
confirmation is PENDING until confirmed from the mailed link; unconfirmed, the confirmation sweep cancels it and
its seat is on sale again; and per-citizen limits know one person by e-mail and phone, not only the document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.confirmations import expire_unconfirmed
from resolvers.booking.identity import normalise_email
from tests.support.api import Api
from tests.support.booking import BOOK, ZONE, bookable_slots, citizen, scalar
from tests.support.front_desk import device_token
from tests.support.mail import compose_only, link, plain, subject_of

pytestmark = pytest.mark.slow

CONFIRM = """mutation($c: String!, $t: String!) { confirmBooking(code: $c, manageToken: $t) { __typename
    ... on Booking { status confirmBy history { status note } }
    ... on InvalidState { code reason message } ... on UserError { code message } } }"""
BOOKING = """query($c: String!, $t: String!) { booking(code: $c, manageToken: $t) {
    status confirmBy history { status note } } }"""
AVAILABILITY = """query($s: ID!, $o: ID!, $d: Date!) { availability(serviceId: $s, officeId: $o, from: $d, to: $d) {
    slots { id remaining } } }"""
CHECK_IN = """mutation($o: ID!, $c: String!) { checkIn(officeId: $o, code: $c) { __typename
    ... on InvalidState { reason } } }"""
SERVICE = """query($s: ID!) { service(id: $s) { confirmationRequired } }"""


@pytest.fixture
async def served(one_server: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=one_server, timeout=30) as client:
        yield Api(client)


@pytest.fixture
async def admin(served: Api, state: AppState) -> str:
    return await served.make_admin(state)


async def confirmed_service(api: Api, admin: str, capacity: int = 1) -> tuple[str, str, list[str]]:
    """A procedure that asks for confirmation, with slots tomorrow: (service ID, office ID, slot IDs)."""
    slots = await bookable_slots(api, admin, capacity=capacity, confirmationRequired=True)
    service_id = await api.service(admin, confirmationRequired=True)
    office_id = await api.office(admin)
    return service_id, office_id, slots


async def book(api: Api, slot_id: str, token: str | None = None, **person: Any) -> dict[str, Any]:
    data = await api.run(
        BOOK.replace("booking { id", "booking { id confirmBy"),
        {"i": {"slotId": slot_id, "citizen": citizen(**person)}},
        token,
    )
    result: dict[str, Any] = data["book"]
    return result


async def free_seats(api: Api, service_id: str, office_id: str) -> dict[str, int]:
    """The free seats of the service's slots at the office tomorrow, by slot."""
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    data = await api.run(AVAILABILITY, {"s": service_id, "o": office_id, "d": tomorrow.isoformat()})
    return {slot["id"]: slot["remaining"] for day in data["availability"] for slot in day["slots"]}


async def confirm(api: Api, code: str, token: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(CONFIRM, {"c": code, "t": token}))["confirmBooking"]
    return result


async def sweep(state: AppState) -> int:
    """The worker's job, run as the worker runs it."""
    return (await expire_unconfirmed({"turnero_state": state}))["expired"]


async def lapse(state: AppState, code: str) -> None:
    """The booking's deadline moves into the past, as if its confirmation time had run out."""
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE bookings SET confirm_by = now() - interval '1 second' WHERE code = :c AND status = 'PENDING'"),
            {"c": code},
        )


async def test_a_pending_booking_not_confirmed_gives_its_seat_back(
    served: Api, admin: str, state: AppState, settings: Settings
) -> None:
    service_id, office_id, (slot_id, *_) = await confirmed_service(served, admin)
    made = await book(served, slot_id)
    assert made["__typename"] == "BookingConfirmation", made
    booking, token = made["booking"], made["manageToken"]
    code = booking["code"]

    assert booking["status"] == "PENDING"
    deadline = datetime.fromisoformat(booking["confirmBy"])
    expected = datetime.now(UTC) + timedelta(minutes=settings.confirm_minutes)
    assert abs((deadline - expected).total_seconds()) < 120
    assert slot_id not in await free_seats(served, service_id, office_id)  # the PENDING booking holds the seat
    assert (await served.run(SERVICE, {"s": service_id}))["service"]["confirmationRequired"] is True
    # not at the kiosk until confirmed
    kiosk = await device_token(served, admin, office_id, "KIOSK", "kiosk")
    refused = (await served.run(CHECK_IN, {"o": office_id, "c": code}, kiosk))["checkIn"]
    assert refused == {"__typename": "InvalidState", "reason": "BOOKING_NOT_CONFIRMED"}

    # the mail asks for the confirmation by the deadline, with the link that opens the booking's page
    mail = await compose_only(state, settings, "booking.confirmation_request")
    body = plain(mail)
    url = link(body, settings.public_url)
    assert url == f"{settings.public_url}/booking/{code}#token={token}"
    local_deadline = deadline.astimezone(ZoneInfo(ZONE))
    assert f"{local_deadline.hour}:{local_deadline.minute:02d}" in subject_of(mail)
    assert code in body

    assert await sweep(state) == 0  # before its deadline the sweep leaves it alone
    await lapse(state, code)
    assert await sweep(state) == 1
    assert await sweep(state) == 0  # idempotent

    assert (await free_seats(served, service_id, office_id))[slot_id] == 1
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :s", s=int(slot_id)) == 0
    found = (await served.run(BOOKING, {"c": code, "t": token}))["booking"]
    assert found["status"] == "CANCELLED"
    assert found["history"][-1] == {"status": "CANCELLED", "note": "not confirmed"}
    too_late = await confirm(served, code, token)
    assert (too_late["__typename"], too_late["reason"]) == ("InvalidState", "CONFIRMATION_EXPIRED"), too_late
    # nobody is mailed about it: the address never proved to be anyone's
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE kind = 'booking.cancellation'") == 0


async def test_confirming_in_time_books_it_and_a_wrong_token_is_refused(
    served: Api, admin: str, state: AppState, settings: Settings
) -> None:
    service_id, office_id, (slot_id, *_) = await confirmed_service(served, admin)
    made = await book(served, slot_id)
    code, token = made["booking"]["code"], made["manageToken"]

    forged = await confirm(served, code, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert forged["__typename"] == "NotFound", forged
    confirmed = await confirm(served, code, token)
    again = await confirm(served, code, token)

    assert confirmed["__typename"] == "Booking", confirmed
    assert (confirmed["status"], confirmed["confirmBy"]) == ("BOOKED", None)
    assert [event["status"] for event in confirmed["history"]] == ["PENDING", "BOOKED"]
    assert (again["__typename"], again["reason"]) == ("InvalidState", "NOT_PENDING"), again
    # a confirmed booking is the sweep's no more, even past the old deadline; its seat stays taken
    await lapse(state, code)
    assert await sweep(state) == 0
    assert slot_id not in await free_seats(served, service_id, office_id)
    # now the real confirmation goes out: the QR code to check in and the calendar file
    mail = await compose_only(state, settings, "booking.confirmation")
    assert code in plain(mail)


async def test_a_lapsed_seat_is_sold_at_once_and_cancel_works_while_pending(
    served: Api, admin: str, state: AppState
) -> None:
    service_id, office_id, (first, second, *_) = await confirmed_service(served, admin)
    lapsing = await book(served, first)
    await lapse(state, lapsing["booking"]["code"])
    # no sweep ran: booking the slot itself frees the lapsed seat first
    taken = await book(served, first, document="40111222", email="beto@example.org", phone="351 444-1234")
    assert taken["__typename"] == "BookingConfirmation", taken
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :s", s=int(first)) == 1

    pending = await book(served, second, document="50111222", email="carla@example.org", phone="351 333-1234")
    cancelled = await served.run(
        """mutation($c: String!, $t: String) { cancelBooking(code: $c, manageToken: $t) { __typename
            ... on Booking { status } } }""",
        {"c": pending["booking"]["code"], "t": pending["manageToken"]},
    )
    assert cancelled["cancelBooking"] == {"__typename": "Booking", "status": "CANCELLED"}
    assert (await free_seats(served, service_id, office_id))[second] == 1


async def test_two_workers_sweep_each_lapsed_booking_once(served: Api, admin: str, state: AppState) -> None:
    _, _, slots = await confirmed_service(served, admin, capacity=3)
    codes = []
    for number, slot_id in enumerate(slots * 3):
        made = await book(served, slot_id, document=f"6000{number:04d}", email=f"p{number}@example.org", phone=None)
        assert made["__typename"] == "BookingConfirmation", made
        codes.append(made["booking"]["code"])
    for code in codes:
        await lapse(state, code)

    expired = await asyncio.gather(sweep(state), sweep(state))

    assert sum(expired) == len(codes)
    assert await scalar(state, "SELECT sum(booked) FROM slots") == 0
    assert await scalar(state, "SELECT count(*) FROM booking_events WHERE note = 'not confirmed'") == len(codes)


async def test_staff_bookings_need_no_confirmation_and_citizens_need_an_email(served: Api, admin: str) -> None:
    _, office_id, (slot_id, other, *_) = await confirmed_service(served, admin)
    operator = await served.staff_token(admin, "operator.one", "OPERATOR", office_id)

    by_phone = await book(served, slot_id, operator)
    no_email = await book(served, other, document="70111222", email=None, phone="351 222-1234")

    assert by_phone["__typename"] == "BookingConfirmation", by_phone
    assert (by_phone["booking"]["status"], by_phone["booking"]["confirmBy"]) == ("BOOKED", None)
    assert (no_email["__typename"], no_email["field"]) == ("ValidationError", "citizen.email"), no_email


async def test_limits_know_a_person_by_email_and_phone(served: Api, admin: str) -> None:
    slots = await bookable_slots(served, admin, capacity=5)  # one booking per person (the default)
    first = await book(served, slots[0], document="30111111", email="Ana.Perez+turno@gmail.com", phone="351 555-1234")
    same_gmail = await book(served, slots[1], document="30222222", email="anaperez@GoogleMail.com", phone=None)
    same_phone = await book(served, slots[1], document="30333333", email="otra@example.org", phone="+54 351 555 1234")
    someone_else = await book(served, slots[1], document="30444444", email="ana.perez@example.org", phone=None)

    assert first["__typename"] == "BookingConfirmation", first
    assert same_gmail["__typename"] == "LimitExceeded", same_gmail
    assert same_phone["__typename"] == "LimitExceeded", same_phone
    # dots count on other providers: another person
    assert someone_else["__typename"] == "BookingConfirmation", someone_else


def test_email_normalisation() -> None:
    assert normalise_email("A.Na+x@GMAIL.com") == "ana@gmail.com"
    assert normalise_email("ana@googlemail.com") == "ana@gmail.com"
    assert normalise_email("Ana.Perez+turno@Outlook.com") == "ana.perez@outlook.com"
    assert normalise_email("ana+x@example.org") == "ana+x@example.org"


JOIN_WAITLIST = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
    ... on WaitlistEntry { id manageToken } ... on UserError { code message } } }"""
WAITLIST_ENTRY = "query($id: ID!, $t: String!) { waitlistEntry(id: $id, manageToken: $t) { status offerExpiresAt } }"


async def test_a_lapsed_booking_s_seat_is_offered_to_the_waitlist_first(
    served: Api, admin: str, state: AppState
) -> None:
    """An expired confirmation frees a seat like a cancellation: the first person waiting is offered it before
    anyone can book it."""
    service_id, office_id, (slot_id, *_) = await confirmed_service(served, admin)
    made = await book(served, slot_id)
    assert made["__typename"] == "BookingConfirmation", made
    today = datetime.now(ZoneInfo(ZONE)).date()
    request = {
        "serviceId": service_id,
        "from": today.isoformat(),
        "to": (today + timedelta(days=7)).isoformat(),
        "citizen": citizen("41000001", email="waiting@example.org"),
    }
    entry = (await served.run(JOIN_WAITLIST, {"i": request}))["joinWaitlist"]
    assert entry["__typename"] == "WaitlistEntry", entry

    await lapse(state, made["booking"]["code"])
    assert await sweep(state) == 1

    offered = (await served.run(WAITLIST_ENTRY, {"id": entry["id"], "t": entry["manageToken"]}))["waitlistEntry"]
    assert offered["status"] == "OFFERED"
    assert offered["offerExpiresAt"] is not None
    assert slot_id not in await free_seats(served, service_id, office_id)  # kept for the one offered it
