"""Idempotency keys cannot be borrowed: a replay is only answered after the caller proved the same right."""

from __future__ import annotations

import json

import httpx
import pytest

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import BOOK, RESCHEDULE, book, bookable_slots, citizen, scalar


@pytest.mark.slow
async def test_a_strangers_reschedule_with_a_used_key_learns_nothing(
    api: Api, admin_token: str, state: AppState, one_server: str
) -> None:
    """The issue's attack, through a real server: the citizen's key K, replayed without (or with a wrong)
    manage token, from another address."""
    slots = await bookable_slots(api, admin_token)
    mine = await book(api, slots[0], idempotencyKey="K")
    code, token = mine["booking"]["code"], mine["manageToken"]
    moved = (await api.run(RESCHEDULE, {"c": code, "s": slots[1], "t": token, "k": "K"}))["rescheduleBooking"]
    assert moved["__typename"] == "BookingConfirmation"

    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=one_server, transport=transport, timeout=10) as stranger:
        answers = [
            (await stranger.post("/graphql", json={"query": RESCHEDULE, "variables": variables})).text
            for variables in (
                {"c": code, "s": slots[1], "k": "K"},
                {"c": code, "s": slots[1], "t": "x" * 43, "k": "K"},
                {"c": code.lower(), "s": slots[1], "t": None, "k": "K"},
            )
        ]

    for answer in answers:
        result = json.loads(answer)["data"]["rescheduleBooking"]
        assert result["__typename"] == "NotFound", result
        for secret in (token, "Ana", "ana@example.org", "+54351", code):
            assert secret not in answer
    assert await scalar(state, "SELECT slot_id FROM bookings") == int(slots[1])


async def test_one_key_in_two_citizens_bookings_is_two_keys(api: Api, admin_token: str, state: AppState) -> None:
    """Anonymous keys are scoped to the booking they proved: K on booking A is not K on booking B."""
    slots = await bookable_slots(api, admin_token, capacity=2)
    first = await book(api, slots[0], citizen=citizen("30111111"))
    second = await book(api, slots[0], citizen=citizen("30222222"))

    moves = [
        (await api.run(RESCHEDULE, {"c": b["booking"]["code"], "s": slots[1], "t": b["manageToken"], "k": "K"}))[
            "rescheduleBooking"
        ]
        for b in (first, second)
    ]

    assert [m["booking"]["id"] for m in moves] == [first["booking"]["id"], second["booking"]["id"]]
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slots[1])) == 2


async def test_book_keys_belong_to_the_citizens_document(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5)
    ana = await book(api, slots[0], idempotencyKey="K")
    retry = await book(api, slots[0], idempotencyKey="K")
    # the same document number, typed another way, is the same citizen
    retyped = await book(api, slots[0], idempotencyKey="K", citizen=citizen("30.123.456"))
    bruno = await book(api, slots[0], idempotencyKey="K", citizen=citizen("30999999", name="Bruno Díaz"))

    assert retry == ana
    assert retyped == ana
    assert bruno["__typename"] == "BookingConfirmation"
    assert bruno["booking"]["id"] != ana["booking"]["id"]
    assert bruno["manageToken"] != ana["manageToken"]
    assert await scalar(state, "SELECT count(*) FROM bookings") == 2


async def test_a_book_replay_needs_every_detail_of_the_first_request(
    api: Api, admin_token: str, state: AppState
) -> None:
    """Someone who knows Ana's document number and key but not her e-mail gets no replay: no token, no data."""
    slots = await bookable_slots(api, admin_token, capacity=5)
    ana = await book(api, slots[0], idempotencyKey="K")

    response = await api.post(
        BOOK,
        {"i": {"slotId": slots[0], "idempotencyKey": "K", "citizen": citizen(email="mallory@example.org")}},
    )

    answer = response.json()["data"]["book"]
    assert (answer["__typename"], answer["field"]) == ("ValidationError", "idempotencyKey")
    assert ana["manageToken"] not in response.text
    assert "ana@example.org" not in response.text
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
