"""Seats kept for the phone line and the desk (issue 14, part 6): the web may not take an agenda's last
`reservedSeats` until `reservedUntilHours` before the slot; PHONE and DESK bookings may."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import BOOK, ZONE, bookable_slots, citizen, scalar
from tests.support.holds import hold, shown

# every slot of the test agenda starts within this many hours (tomorrow at the latest, office time), so
# that its reserved seats are open to anyone; 0 keeps them reserved until each slot starts
ALWAYS_OPEN = 24 * 3
UNTIL_THE_START = 0


async def book(api: Api, slot_id: str, document: str, token: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(BOOK, {"i": {"slotId": slot_id, "citizen": citizen(document)}}, token))[
        "book"
    ]
    return result


async def test_reserved_seats_refuse_the_web_but_take_a_phone_booking(
    api: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=3, reserved_seats=2, reserved_until_hours=0))[0]
    office_id = str(await scalar(state, "SELECT office_id FROM slots WHERE id = :id", id=int(slot_id)))
    operator = await api.staff_token(admin_token, "operator.centro", "OPERATOR", office_id)

    assert await shown(api, state, slot_id) == {"id": slot_id, "remaining": 1, "held": 0, "reserved": 2}
    assert (await shown(api, state, slot_id, operator) or {})["remaining"] == 3
    assert (await book(api, slot_id, "20111222"))["__typename"] == "BookingConfirmation"
    assert await shown(api, state, slot_id) is None  # what is left is not the web's
    web = await book(api, slot_id, "20333444")
    assert (web["__typename"], web["code"]) == ("SlotUnavailable", "SLOT_FULL"), web
    assert "telefónica" in web["message"]  # in the citizen's language (their locale: es)
    assert (await hold(api, slot_id))["__typename"] == "SlotUnavailable"

    by_phone = await book(api, slot_id, "20333444", operator)

    assert by_phone["__typename"] == "BookingConfirmation", by_phone
    assert by_phone["booking"]["channel"] == "PHONE"
    # the operator may hold the last reserved seat while the caller on the line spells their name
    staff_hold = await hold(api, slot_id, operator)
    assert staff_hold["__typename"] == "SlotHold", staff_hold
    held = await api.run(
        BOOK,
        {"i": {"slotId": slot_id, "citizen": citizen("20555666"), "holdToken": staff_hold["token"]}},
        operator,
    )
    assert held["book"]["__typename"] == "BookingConfirmation", held
    full = await book(api, slot_id, "20777888", operator)
    assert (full["__typename"], full["code"]) == ("SlotUnavailable", "SLOT_FULL"), full
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 3


async def test_from_their_hour_the_reserved_seats_are_anyones(api: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=2, reserved_seats=2, reserved_until_hours=ALWAYS_OPEN))[
        0
    ]
    starts_at = await scalar(state, "SELECT starts_at FROM slots WHERE id = :id", id=int(slot_id))
    assert starts_at - datetime.now(ZoneInfo(ZONE)) < timedelta(hours=ALWAYS_OPEN)

    assert await shown(api, state, slot_id) == {"id": slot_id, "remaining": 2, "held": 0, "reserved": 0}
    assert (await book(api, slot_id, "20111222"))["__typename"] == "BookingConfirmation"
    assert (await book(api, slot_id, "20333444"))["__typename"] == "BookingConfirmation"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 2


async def test_a_desk_clerk_books_reserved_seats_and_a_citizen_cannot_move_into_them(
    api: Api, admin_token: str, state: AppState
) -> None:
    first, second = (await bookable_slots(api, admin_token, capacity=1, reserved_seats=1, reserved_until_hours=0))[:2]
    office_id = str(await scalar(state, "SELECT office_id FROM slots WHERE id = :id", id=int(first)))
    clerk = await api.staff_token(admin_token, "clerk.centro", "CLERK", office_id)

    at_desk = await book(api, first, "20111222", clerk)
    assert (at_desk["__typename"], at_desk["booking"]["channel"]) == ("BookingConfirmation", "DESK"), at_desk
    moved = await api.run(
        """mutation($c: String!, $s: ID!, $t: String) { rescheduleBooking(code: $c, slotId: $s, manageToken: $t) {
            __typename ... on UserError { code } } }""",
        {"c": at_desk["booking"]["code"], "s": second, "t": at_desk["manageToken"]},
    )
    assert moved["rescheduleBooking"] == {"__typename": "SlotUnavailable", "code": "SLOT_FULL"}


async def test_an_agenda_cannot_keep_more_seats_than_it_has(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token)
    service_id = await api.service(admin_token)
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    fields = {
        "officeId": office_id,
        "serviceId": service_id,
        "weekdays": [tomorrow.isoweekday()],
        "startTime": "09:00",
        "endTime": "10:00",
        "slotMinutes": 30,
        "capacity": 2,
        "validFrom": tomorrow.isoformat(),
    }

    too_many = await api.agenda(admin_token, **fields, reservedSeats=3)
    negative = await api.agenda(admin_token, **fields, reservedUntilHours=-1)

    assert (too_many["__typename"], too_many["field"]) == ("ValidationError", "reservedSeats"), too_many
    assert (negative["__typename"], negative["field"]) == ("ValidationError", "reservedUntilHours"), negative
    data = await api.run(
        "query($o: ID!) { agendas(officeId: $o) { id } }",
        {"o": office_id},
    )
    assert data["agendas"] == []
    made = await api.agenda(admin_token, **fields)
    assert made["__typename"] == "Agenda"
    defaults = await api.run(
        "query($o: ID!) { agendas(officeId: $o) { reservedSeats reservedUntilHours } }", {"o": office_id}
    )
    assert defaults["agendas"] == [{"reservedSeats": 0, "reservedUntilHours": 24}]
