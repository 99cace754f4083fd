"""The citizen's side of the contract: book, look up, cancel and reschedule, per channel, never twice."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import (
    BOOKING,
    CANCEL,
    RESCHEDULE,
    book,
    bookable_slots,
    citizen,
    scalar,
)

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$")


async def outbox(state: AppState) -> list[str]:
    async with state.engine.connect() as conn:
        from sqlalchemy import text

        return [row[0] for row in await conn.execute(text("SELECT kind FROM outbox ORDER BY id"))]


async def test_web_round_trip(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)

    booked = await book(api, slots[0])
    code, token = booked["booking"]["code"], booked["manageToken"]
    read = await api.run(BOOKING, {"c": code.lower(), "t": token})
    cancelled = (await api.run(CANCEL, {"c": code, "t": token, "r": "No puedo ir"}))["cancelBooking"]

    assert booked["__typename"] == "BookingConfirmation"
    assert CODE.match(code)
    assert len(token) >= 43  # 256 bits, base64
    assert booked["booking"]["status"] == "BOOKED"
    assert booked["booking"]["channel"] == "WEB"
    assert booked["booking"]["slot"] == {"id": slots[0], "remaining": 0}
    assert booked["booking"]["citizen"] == {
        "name": "Ana Pérez",
        "email": "ana@example.org",
        "phone": "+543515551234",
        "documentHint": "***3456",
    }
    assert read["booking"]["code"] == code
    assert read["booking"]["office"] == {"slug": "centro"}
    assert read["booking"]["startsAt"].endswith("T09:00:00-03:00")
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["history"] == [
        {"status": "BOOKED", "channel": "WEB", "note": None},
        {"status": "CANCELLED", "channel": None, "note": "No puedo ir"},
    ]
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 0
    assert await outbox(state) == ["booking.confirmation", "booking.cancellation"]


async def test_mobile_round_trip_with_reschedule(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    booked = await book(api, slots[0], channel="MOBILE")
    code, token = booked["booking"]["code"], booked["manageToken"]

    moved = (await api.run(RESCHEDULE, {"c": code, "s": slots[2], "t": token}))["rescheduleBooking"]

    assert booked["booking"]["channel"] == "MOBILE"
    assert moved["__typename"] == "BookingConfirmation"
    assert moved["manageToken"] == token
    assert moved["booking"]["slot"] == {"id": slots[2]}
    assert moved["booking"]["startsAt"].endswith("T11:00:00-03:00")
    assert [event["status"] for event in moved["booking"]["history"]] == ["BOOKED", "BOOKED"]
    assert moved["booking"]["history"][1]["note"].startswith("moved from ")
    booked_seats = {
        row: await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(row)) for row in slots[:3]
    }
    assert booked_seats == {slots[0]: 0, slots[1]: 0, slots[2]: 1}
    assert await outbox(state) == ["booking.confirmation", "booking.change"]


async def test_phone_operator_books_and_cancels_by_code(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    office_id = await api.office(admin_token)
    other_office = await api.office(admin_token, slug="other")
    operator = await api.staff_token(admin_token, "operator.centro", "OPERATOR", office_id)
    outsider = await api.staff_token(admin_token, "operator.other", "OPERATOR", other_office)

    booked = await book(api, slots[0], operator)
    denied = await book(api, slots[1], outsider)
    not_theirs = (await api.run(CANCEL, {"c": booked["booking"]["code"]}, outsider))["cancelBooking"]
    cancelled = (await api.run(CANCEL, {"c": booked["booking"]["code"]}, operator))["cancelBooking"]

    assert booked["booking"]["channel"] == "PHONE"
    assert denied == {"__typename": "NotAllowed", "code": "NOT_ALLOWED", "message": denied["message"]}
    assert not_theirs["__typename"] == "NotFound"  # staff of another office learn nothing of the code
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["history"][-1]["channel"] == "PHONE"
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1


async def test_desk_clerk_books_at_the_desk_only(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    clerk = await api.staff_token(admin_token, "clerk.centro", "CLERK", await api.office(admin_token))

    booked = await book(api, slots[0], clerk, channel="DESK")
    by_phone = await book(api, slots[1], clerk, channel="PHONE", citizen=citizen("40111222"))

    assert booked["booking"]["channel"] == "DESK"
    assert by_phone["__typename"] == "NotAllowed"
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1


async def test_partner_books_for_its_users_and_sees_only_its_bookings(api: Api, admin_token: str) -> None:
    slots = await bookable_slots(api, admin_token)
    issue = (
        'mutation($p: String!) { issuePartnerKey(partner: $p, name: "prod") { __typename'
        " ... on PartnerKey { token } } }"
    )
    portal = (await api.run(issue, {"p": "Portal ciudadano"}, admin_token))["issuePartnerKey"]["token"]
    licences = (await api.run(issue, {"p": "Licencias online"}, admin_token))["issuePartnerKey"]["token"]
    citizen_booking = await book(api, slots[1], None, citizen=citizen("40111222"))

    booked = await book(api, slots[0], portal)
    code = booked["booking"]["code"]
    seen = await api.run("query($c: String!) { bookingByCode(code: $c) { code channel } }", {"c": code}, portal)
    unseen = await api.run("query($c: String!) { bookingByCode(code: $c) { code } }", {"c": code}, licences)
    others = await api.run(
        "query($c: String!) { bookingByCode(code: $c) { code } }", {"c": citizen_booking["booking"]["code"]}, portal
    )
    foreign_cancel = (await api.run(CANCEL, {"c": code}, licences))["cancelBooking"]
    own_cancel = (await api.run(CANCEL, {"c": code}, portal))["cancelBooking"]

    assert booked["booking"]["channel"] == "PARTNER"
    assert seen["bookingByCode"] == {"code": code, "channel": "PARTNER"}
    assert unseen["bookingByCode"] is None
    assert others["bookingByCode"] is None
    assert foreign_cancel["__typename"] == "NotFound"  # nor does another partner
    assert own_cancel["status"] == "CANCELLED"


@pytest.mark.parametrize("channel", ["PHONE", "DESK", "KIOSK", "PARTNER"])
async def test_citizens_book_only_on_the_web_or_app(api: Api, admin_token: str, state: AppState, channel: str) -> None:
    slots = await bookable_slots(api, admin_token)

    result = await book(api, slots[0], channel=channel)

    assert result["__typename"] == "NotAllowed"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 0


async def test_kiosks_do_not_book(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    issued = await api.run(
        'mutation($o: ID!) { issueDeviceToken(officeId: $o, kind: KIOSK, name: "K") { ... on DeviceToken { token } } }',
        {"o": await api.office(admin_token)},
        admin_token,
    )

    result = await book(api, slots[0], issued["issueDeviceToken"]["token"])

    assert result["__typename"] == "NotAllowed"
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0


async def test_a_wrong_token_looks_like_a_wrong_code(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    booked = await book(api, slots[0])
    code = booked["booking"]["code"]

    wrong_token = await api.run(BOOKING, {"c": code, "t": "x" * 43})
    wrong_code = await api.run(BOOKING, {"c": "ZZZZZZZZ", "t": booked["manageToken"]})
    cancel_wrong_token = (await api.run(CANCEL, {"c": code, "t": "x" * 43}))["cancelBooking"]
    cancel_wrong_code = (await api.run(CANCEL, {"c": "ZZZZZZZZ", "t": booked["manageToken"]}))["cancelBooking"]
    cancel_no_token = (await api.run(CANCEL, {"c": code}))["cancelBooking"]
    move_wrong_token = (await api.run(RESCHEDULE, {"c": code, "s": slots[1], "t": "y"}))["rescheduleBooking"]

    assert wrong_token == wrong_code == {"booking": None}
    assert cancel_wrong_token == cancel_wrong_code == cancel_no_token
    assert cancel_wrong_token["__typename"] == "NotFound"
    assert move_wrong_token["__typename"] == "NotFound"
    assert await scalar(state, "SELECT status::text FROM bookings") == "BOOKED"


async def test_the_document_number_is_kept_only_as_a_keyed_hash(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)

    await book(api, slots[0], citizen=citizen("AB-98.765.432"))

    async with state.engine.connect() as conn:
        from sqlalchemy import text

        row = (await conn.execute(text("SELECT * FROM bookings"))).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert "98765432" not in stored
    assert row["document_hint"] == "***5432"
    assert len(bytes(row["document_hash"])) == 32


async def test_per_citizen_limit_counts_the_same_person_however_written(api: Api, admin_token: str) -> None:
    slots = await bookable_slots(api, admin_token)
    first = await book(api, slots[0], citizen=citizen("30.123.456"))

    second = await book(api, slots[1], citizen=citizen("30123456", name="Ana P."))
    await api.run(CANCEL, {"c": first["booking"]["code"], "t": first["manageToken"]})
    after_cancel = await book(api, slots[1], citizen=citizen("30 123 456"))

    assert second["__typename"] == "LimitExceeded"
    assert second["code"] == "LIMIT_EXCEEDED"
    assert after_cancel["__typename"] == "BookingConfirmation"


async def test_a_higher_limit_allows_that_many(api: Api, admin_token: str) -> None:
    slots = await bookable_slots(api, admin_token, maxActiveBookingsPerCitizen=2)

    results = [await book(api, slot) for slot in slots[:3]]

    assert [r["__typename"] for r in results] == ["BookingConfirmation", "BookingConfirmation", "LimitExceeded"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"citizen": citizen(name="")}, "citizen.name"),
        ({"citizen": citizen(name="x" * 201)}, "citizen.name"),
        ({"citizen": citizen(email="not-an-email")}, "citizen.email"),
        ({"citizen": citizen(email="a@b")}, "citizen.email"),
        ({"citizen": citizen(phone="12")}, "citizen.phone"),
        ({"citizen": citizen(phone="phone me")}, "citizen.phone"),
        ({"citizen": citizen(locale="fr")}, "citizen.locale"),
        ({"citizen": citizen("12")}, "citizen.documentId"),
        ({"citizen": citizen("30123456!!")}, "citizen.documentId"),
        ({"notes": "n" * 1001}, "notes"),
        ({"idempotencyKey": "k" * 101}, "idempotencyKey"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    api: Api, admin_token: str, state: AppState, change: dict[str, Any], field: str
) -> None:
    slots = await bookable_slots(api, admin_token)

    result = await book(api, slots[0], **change)

    assert result["__typename"] == "ValidationError"
    assert result["field"] == field
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0
    assert await scalar(state, "SELECT sum(booked) FROM slots") == 0
    assert await scalar(state, "SELECT count(*) FROM outbox") == 0


async def test_a_full_slot_offers_the_nearest_free_ones(api: Api, admin_token: str) -> None:
    slots = await bookable_slots(api, admin_token, maxActiveBookingsPerCitizen=5)
    await book(api, slots[1])

    taken = await book(api, slots[1], citizen=citizen("40111222"))

    assert taken["__typename"] == "SlotUnavailable"
    assert taken["code"] == "SLOT_FULL"
    assert [slot["id"] for slot in taken["alternatives"]] == [slots[0], slots[2], slots[3]]


@pytest.mark.parametrize(
    "spoil",
    [
        "UPDATE slots SET starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour'",
        "UPDATE slots SET closed = true",
        "UPDATE services SET booking_window_days = 1; UPDATE slots SET starts_at = starts_at + interval '3 days',"
        " ends_at = ends_at + interval '3 days'",
    ],
    ids=["past", "closed", "beyond-window"],
)
async def test_unbookable_slots_are_refused(api: Api, admin_token: str, state: AppState, spoil: str) -> None:
    slots = await bookable_slots(api, admin_token)
    async with state.engine.begin() as conn:
        from sqlalchemy import text

        for statement in spoil.split(";"):
            await conn.execute(text(f"{statement} WHERE id = {int(slots[0])}" if "slots" in statement else statement))

    result = await book(api, slots[0])

    assert result["__typename"] == "SlotUnavailable"
    assert result["code"] == "SLOT_UNAVAILABLE"
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0


async def test_unknown_slots_are_not_found(api: Api) -> None:
    assert (await book(api, "987654"))["__typename"] == "NotFound"
    assert (await book(api, "slot-1"))["__typename"] == "NotFound"


async def test_a_failed_reschedule_keeps_the_original(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token, maxActiveBookingsPerCitizen=5)
    other_service = await bookable_slots(api, admin_token, service_slug="licencia")
    mine = await book(api, slots[0])
    await book(api, slots[1], citizen=citizen("40111222"))
    code, token = mine["booking"]["code"], mine["manageToken"]

    to_full = (await api.run(RESCHEDULE, {"c": code, "s": slots[1], "t": token}))["rescheduleBooking"]
    to_other_service = (await api.run(RESCHEDULE, {"c": code, "s": other_service[0], "t": token}))["rescheduleBooking"]
    to_same = (await api.run(RESCHEDULE, {"c": code, "s": slots[0], "t": token}))["rescheduleBooking"]

    assert to_full["__typename"] == "SlotUnavailable"
    assert (to_other_service["__typename"], to_other_service["field"]) == ("ValidationError", "slotId")
    assert (to_same["__typename"], to_same["field"]) == ("ValidationError", "slotId")
    read = await api.run(BOOKING, {"c": code, "t": token})
    assert read["booking"]["slot"] == {"id": slots[0]}
    assert [await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(s)) for s in slots] == [1, 1, 0, 0]


async def test_cancelled_and_past_bookings_cannot_be_moved_or_cancelled(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, maxActiveBookingsPerCitizen=5)
    cancelled = await book(api, slots[0])
    await api.run(CANCEL, {"c": cancelled["booking"]["code"], "t": cancelled["manageToken"]})
    past = await book(api, slots[1])
    async with state.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE bookings SET starts_at = now() - interval '1 hour' WHERE code = :c"),
            {"c": past["booking"]["code"]},
        )

    moves = [
        (await api.run(RESCHEDULE, {"c": b["booking"]["code"], "s": slots[3], "t": b["manageToken"]}))[
            "rescheduleBooking"
        ]
        for b in (cancelled, past)
    ]
    cancels = [
        (await api.run(CANCEL, {"c": b["booking"]["code"], "t": b["manageToken"]}))["cancelBooking"]
        for b in (cancelled, past)
    ]

    assert [m["__typename"] for m in moves] == ["InvalidState", "InvalidState"]
    assert [c["__typename"] for c in cancels] == ["InvalidState", "InvalidState"]
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[3])) == 0


async def test_idempotent_replay_returns_the_first_result(
    api: Api, admin_token: str, state: AppState, client_factory: Any
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5)
    other_connection = Api(await client_factory())

    first = await book(api, slots[0], idempotencyKey="key-1")
    replay = await book(other_connection, slots[0], idempotencyKey="key-1")
    different = await book(api, slots[1], idempotencyKey="key-1")

    assert replay == first
    assert (different["__typename"], different["field"]) == ("ValidationError", "idempotencyKey")
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 1


async def test_concurrent_replays_of_one_key_take_one_seat(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5)

    results = await asyncio.gather(*(book(api, slots[0], idempotencyKey="same") for _ in range(10)))

    assert len({r["booking"]["id"] for r in results}) == 1
    assert len({r["manageToken"] for r in results}) == 1
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 1


async def test_keys_belong_to_their_caller(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5, maxActiveBookingsPerCitizen=5)
    operator = await api.staff_token(admin_token, "operator.centro", "OPERATOR", await api.office(admin_token))

    citizen_booking = await book(api, slots[0], idempotencyKey="k")
    operator_booking = await book(api, slots[0], operator, idempotencyKey="k")

    assert citizen_booking["booking"]["id"] != operator_booking["booking"]["id"]
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 2


async def test_reschedule_is_idempotent_too(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token)
    mine = await book(api, slots[0])
    variables = {"c": mine["booking"]["code"], "s": slots[1], "t": mine["manageToken"], "k": "move-1"}

    first = (await api.run(RESCHEDULE, variables))["rescheduleBooking"]
    again = (await api.run(RESCHEDULE, variables))["rescheduleBooking"]

    assert again == first
    assert [await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(s)) for s in slots[:2]] == [0, 1]


async def test_a_closure_cancels_the_days_bookings_and_tells_each_citizen(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=2, maxActiveBookingsPerCitizen=5)
    first = await book(api, slots[0])
    second = await book(api, slots[0], citizen=citizen("40111222"))
    day = (await api.run(BOOKING, {"c": first["booking"]["code"], "t": first["manageToken"]}))["booking"]["startsAt"]

    closure = await api.run(
        "mutation($i: ClosureInput!) { addClosure(input: $i) { ... on Closure { slotsClosed bookingsCancelled } } }",
        {"i": {"officeId": await api.office(admin_token), "date": day[:10], "reason": "Corte de luz"}},
        admin_token,
    )
    read = await api.run(BOOKING, {"c": second["booking"]["code"], "t": second["manageToken"]})

    assert closure["addClosure"] == {"slotsClosed": len(slots), "bookingsCancelled": 2}
    assert read["booking"]["status"] == "CANCELLED"
    assert read["booking"]["history"][-1] == {
        "status": "CANCELLED",
        "channel": None,
        "note": "Office closed that day: Corte de luz",
    }
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[0])) == 0
    assert await outbox(state) == [
        "booking.confirmation",
        "booking.confirmation",
        "booking.cancellation",
        "booking.cancellation",
    ]
