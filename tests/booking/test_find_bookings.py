"""findBookings, the phone line's search: exact matches on normalised values, never a list of everybody, only the
caller's offices, rate-limited per staff user, and logged without the values searched for."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen

FIND = """query($d: String, $p: String, $e: String, $n: String, $l: Int = 20) {
    findBookings(document: $d, phone: $p, email: $e, name: $n, limit: $l) { __typename
    ... on BookingMatches { bookings { code status citizen { name } office { id } } }
    ... on ValidationError { field message } ... on UserError { code message } } }"""


async def find(api: Api, token: str | None, **criteria: Any) -> dict[str, Any]:
    variables = {key[0]: value for key, value in criteria.items()}
    body = (await api.post(FIND, variables, token)).json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["findBookings"]
    return result


def codes(result: dict[str, Any]) -> list[str]:
    assert result["__typename"] == "BookingMatches", result
    return sorted(booking["code"] for booking in result["bookings"])


@pytest.fixture
async def booked(api: Api, admin_token: str) -> dict[str, Any]:
    """Three callers booked by the phone line at the office: José María (by mobile, mixed-case mail), Ana and Luis."""
    slots = await bookable_slots(api, admin_token, capacity=3)
    office_id = await api.office(admin_token)
    operator = await api.staff_token(admin_token, "operator.centro", "OPERATOR", office_id)
    jose = citizen("27.333.444", name="José  María Núñez", email="JM.Nunez@Example.ORG", phone="0351 15 555 1234")
    ana = citizen("30123456", name="Ana Pérez", email="ana@example.org", phone="0351 555-9876")
    luis = citizen("40111222", name="Luis Núñez", email=None, phone=None)
    made = {}
    for key, person in (("jose", jose), ("ana", ana), ("luis", luis)):
        result = await book(api, slots[0], operator, citizen=person)
        assert result["__typename"] == "BookingConfirmation", result
        made[key] = result["booking"]["code"]
    return {"operator": operator, "office_id": office_id, "slots": slots, **made}


async def test_each_criterion_finds_the_caller_by_its_normalised_value(api: Api, booked: dict[str, Any]) -> None:
    operator, jose = booked["operator"], booked["jose"]

    assert codes(await find(api, operator, document="27333444")) == [jose]
    assert codes(await find(api, operator, document=" 27-333-444 ")) == [jose]
    # the same mobile however dialled: national with 15, international with 9
    assert codes(await find(api, operator, phone="+54 9 351 555 1234")) == [jose]
    assert codes(await find(api, operator, phone="351 15-555-1234")) == [jose]
    assert codes(await find(api, operator, email="jm.nunez@example.org")) == [jose]
    assert codes(await find(api, operator, name="jose maria NUNEZ")) == [jose]
    assert codes(await find(api, operator, name="José María Núñez", document="27333444")) == [jose]
    found = (await find(api, operator, name="Ana Perez"))["bookings"]
    assert [(b["code"], b["status"], b["citizen"]["name"]) for b in found] == [(booked["ana"], "BOOKED", "Ana Pérez")]


async def test_near_misses_find_nothing(api: Api, booked: dict[str, Any]) -> None:
    operator = booked["operator"]

    # phonenumbers reads +54 351 … as the landline, a different number from the mobile 0351 15 …
    assert codes(await find(api, operator, phone="+54 351 555-1234")) == []
    assert codes(await find(api, operator, name="Núñez")) == []  # a part of a name: nobody
    assert codes(await find(api, operator, name="José María")) == []
    assert codes(await find(api, operator, email="nunez@example.org")) == []
    assert codes(await find(api, operator, document="27333445")) == []
    # criteria narrow together: José's document with Ana's name is nobody
    assert codes(await find(api, operator, document="27333444", name="Ana Pérez")) == []


async def test_no_criterion_or_a_bad_one_is_a_validation_error(api: Api, booked: dict[str, Any]) -> None:
    operator = booked["operator"]

    nothing = await find(api, operator)
    blank = await find(api, operator, name="   ", email="")
    bad_phone = await find(api, operator, phone="not a number")
    bad_mail = await find(api, operator, email="nobody")
    bad_document = await find(api, operator, document="1")
    too_many = await find(api, operator, document="27333444", l=51)

    for result, field in (
        (nothing, "document"),
        (blank, "document"),
        (bad_phone, "phone"),
        (bad_mail, "email"),
        (bad_document, "document"),
        (too_many, "limit"),
    ):
        assert (result["__typename"], result["field"]) == ("ValidationError", field), result


async def test_only_staff_of_the_bookings_offices_find_them(api: Api, admin_token: str, booked: dict[str, Any]) -> None:
    other_office = await api.office(admin_token, slug="otra")
    outsider = await api.staff_token(admin_token, "operator.otra", "OPERATOR", other_office)
    clerk = await api.staff_token(admin_token, "clerk.centro", "CLERK", booked["office_id"])

    assert await find(api, None, document="27333444") == {
        "__typename": "NotAllowed",
        "code": "NOT_ALLOWED",
        "message": (await find(api, None, document="27333444"))["message"],
    }
    assert codes(await find(api, outsider, document="27333444")) == []
    assert codes(await find(api, clerk, document="27333444")) == [booked["jose"]]
    assert codes(await find(api, admin_token, document="27333444")) == [booked["jose"]]


async def test_the_answer_is_capped_and_closed_bookings_are_left_out(
    api: Api, admin_token: str, booked: dict[str, Any]
) -> None:
    operator = booked["operator"]
    await api.service(admin_token, slug="dni", maxActiveBookingsPerCitizen=3)
    for slot in booked["slots"][1:3]:
        await book(api, slot, operator, citizen=citizen("27333444", name="José María Núñez", email=None))
    cancel = "mutation($c: String!) { cancelBooking(code: $c) { __typename } }"
    await api.run(cancel, {"c": booked["ana"]}, operator)

    assert len(codes(await find(api, operator, document="27333444"))) == 3
    assert len(codes(await find(api, operator, document="27333444", l=2))) == 2
    assert codes(await find(api, operator, name="Ana Pérez")) == []


async def test_searches_are_rate_limited_per_staff_user(api: Api, admin_token: str, booked: dict[str, Any]) -> None:
    operator = booked["operator"]
    other = await api.staff_token(admin_token, "operator.dos", "OPERATOR", booked["office_id"])
    for _ in range(30):  # TURNERO_RATE_LOOKUPS: 30 a minute by default
        await find(api, operator, document="27333444")

    refused = await api.post(FIND, {"d": "27333444"}, operator)
    body = refused.json()

    assert refused.status_code == 429
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["bucket"] == "lookups"
    assert codes(await find(api, other, document="27333444")) == [booked["jose"]]  # another user's own budget


async def test_each_search_is_logged_with_who_asked_never_what(
    api: Api, booked: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="turnero.lookups")

    await find(api, booked["operator"], name="José María Núñez", phone="0351 15 555 1234")

    [record] = [r for r in caplog.records if r.name == "turnero.lookups"]
    fields = {k: v for k, v in record.__dict__.items() if k in ("staff_user_id", "criteria", "results")}
    assert fields == {"staff_user_id": fields["staff_user_id"], "criteria": ["name", "phone"], "results": 1}
    assert isinstance(fields["staff_user_id"], int)
    # the record's own bookkeeping (thread and process ids, timestamps, line numbers) carries no input, and its
    # digits would match "555" by chance now and then: what is checked is the message and every field added to it
    bookkeeping = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) - {"msg", "args"}
    logged = json.dumps(
        {k: str(v) for k, v in record.__dict__.items() if k not in bookkeeping} | {"message": record.getMessage()},
        ensure_ascii=False,
    )
    for secret in ("José", "Jose", "Núñez", "555", "1234", "27333444"):
        assert secret not in logged
