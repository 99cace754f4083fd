"""Text inputs refuse NUL and control characters with a ValidationError naming the field (or, where a field's
result has no ValidationError, a top-level INVALID_INPUT error naming it); line breaks only where a text is
meant to have lines. None of it ever reaches the database as a fault."""

from __future__ import annotations

from typing import Any

import pytest

from core.validation import control_character
from tests.support.api import Api
from tests.support.booking import BOOK, CANCEL, RESCHEDULE, bookable_slots, citizen

HOSTILE = ["Ana\r\nBcc: victim@example.org", "Ana\x00", "Ana\x1b[31m", "Ana\u2028Pérez", "Ana\x7f", "Ana\x85"]


async def answer(api: Api, query: str, variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    response = await api.post(query, variables, token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert all(e["extensions"]["code"] != "INTERNAL_SERVER_ERROR" for e in body.get("errors") or []), body
    return body


def test_what_counts_as_a_control_character() -> None:
    assert control_character("Ana Pérez, 3º B — ½ 😀") is None
    for text in [*HOSTILE, "tab\there", "line\nbreak"]:
        assert control_character(text) is not None, repr(text)
    assert control_character("two\nlines\twith a tab", multiline=True) is None
    assert control_character("but not\r\nCR", multiline=True) == "\r"


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_citizen_name_with_control_characters_is_refused(api: Api, admin_token: str, name: str) -> None:
    slot = (await bookable_slots(api, admin_token))[0]
    body = await answer(api, BOOK, {"i": {"slotId": slot, "citizen": citizen(name=name)}})
    assert body["data"]["book"]["__typename"] == "ValidationError"
    assert body["data"]["book"]["field"] == "citizen.name"


async def test_notes_emails_and_keys_are_single_line(api: Api, admin_token: str) -> None:
    slot = (await bookable_slots(api, admin_token))[0]
    for fields, field in (
        ({"notes": "first\nsecond"}, "notes"),
        ({"idempotencyKey": "key\x00"}, "idempotencyKey"),
        ({"citizen": citizen(email="ana@example.org\r\nBcc: x@example.org")}, "citizen.email"),
        ({"citizen": citizen(phone="351\n5551234")}, "citizen.phone"),
    ):
        body = await answer(api, BOOK, {"i": {"slotId": slot, "citizen": citizen()} | fields})
        assert (body["data"]["book"]["__typename"], body["data"]["book"]["field"]) == ("ValidationError", field)
    # and the booking itself still goes through
    body = await answer(api, BOOK, {"i": {"slotId": slot, "citizen": citizen(), "notes": "wheelchair"}})
    assert body["data"]["book"]["__typename"] == "BookingConfirmation"


async def test_codes_tokens_and_ids_with_nul_bytes_or_odd_digits_are_typed_errors(api: Api, admin_token: str) -> None:
    slot = (await bookable_slots(api, admin_token))[0]
    cancelled = await answer(api, CANCEL, {"c": "AB\x00CD", "t": "x", "r": None})
    assert cancelled["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in cancelled["errors"]] == [
        ("INVALID_INPUT", "code")
    ]
    reason = await answer(api, CANCEL, {"c": "ABCD", "t": "x", "r": "moved\r\naway"})
    assert [e["extensions"]["field"] for e in reason["errors"]] == ["reason"]

    moved = await answer(api, RESCHEDULE, {"c": "AB\x00CD", "s": slot, "t": "x\x00", "k": None})
    assert moved["data"]["rescheduleBooking"]["__typename"] == "ValidationError"
    assert moved["data"]["rescheduleBooking"]["field"] == "code"

    started = await answer(
        api,
        "mutation($t: ID!) { startService(ticketId: $t) { __typename ... on UserError { code } } }",
        {"t": "³32"},
        admin_token,
    )
    assert started["data"]["startService"] == {"__typename": "NotFound", "code": "NOT_FOUND"}
    office = await answer(api, "query($i: ID!) { office(id: $i) { id } }", {"i": "³32"})
    assert office["data"] == {"office": None}
    office = await answer(api, "query($i: ID!) { office(id: $i) { id } }", {"i": "1\x00"})
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in office["errors"]] == [("INVALID_INPUT", "id")]


async def test_webhook_urls_and_staff_texts_refuse_line_breaks(api: Api, admin_token: str) -> None:
    registered = await answer(
        api,
        "mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { __typename"
        " ... on ValidationError { field } } }",
        {"i": {"url": "https://partner.example.org/hook\r\nX-Injected: 1", "partner": "p", "eventTypes": []}},
        admin_token,
    )
    assert registered["data"]["registerWebhookEndpoint"] == {"__typename": "ValidationError", "field": "url"}
    office = await answer(
        api,
        "mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename ... on ValidationError { field } } }",
        {"i": {"slug": "centro", "name": "Centro", "timezone": "America/Argentina/Cordoba", "address": "Av.\n1"}},
        admin_token,
    )
    assert office["data"]["upsertOffice"] == {"__typename": "ValidationError", "field": "address"}
    documents = await answer(
        api,
        "mutation($i: ServiceInput!) { upsertService(input: $i) { __typename ... on ValidationError { field } } }",
        {"i": {"slug": "dni", "name": "DNI", "durationMinutes": 15, "requiredDocuments": ["ok", "bad\x00"]}},
        admin_token,
    )
    assert documents["data"]["upsertService"] == {"__typename": "ValidationError", "field": "requiredDocuments.1"}


async def test_multi_line_texts_keep_their_lines(api: Api, admin_token: str) -> None:
    service = await answer(
        api,
        "mutation($i: ServiceInput!) { upsertService(input: $i) { __typename ... on Service { description } } }",
        {"i": {"slug": "dni", "name": "DNI", "durationMinutes": 15, "description": "Bring:\n\t- your old DNI"}},
        admin_token,
    )
    assert service["data"]["upsertService"] == {"__typename": "Service", "description": "Bring:\n\t- your old DNI"}
    feedback = await answer(
        api,
        "mutation($t: String!, $c: String) { submitFeedback(token: $t, rating: 5, comment: $c) { __typename"
        " ... on ValidationError { field } } }",
        {"t": "not-a-token", "c": "Quick.\nFriendly staff."},
    )
    assert feedback["data"]["submitFeedback"]["__typename"] != "ValidationError"
    carriage = await answer(
        api,
        "mutation($t: String!, $c: String) { submitFeedback(token: $t, rating: 5, comment: $c) { __typename"
        " ... on ValidationError { field } } }",
        {"t": "not-a-token", "c": "Quick.\r\nFriendly staff."},
    )
    assert carriage["data"]["submitFeedback"] == {"__typename": "ValidationError", "field": "comment"}
