"""Hundreds pressing "book" at once, through two API processes over real HTTP: never more bookings than seats."""

from __future__ import annotations

from collections import Counter

import pytest

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import BOOK, bookable_slots, citizen, scalar
from tests.support.processes import at_once

pytestmark = pytest.mark.slow

ROUNDS = 5
CLIENTS = 200
SEATS = 3


async def test_200_citizens_on_3_seats_get_3_bookings_five_times_over(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=SEATS, slots_per_day=ROUNDS)

    for round_number, slot_id in enumerate(slots[:ROUNDS]):
        requests = [
            {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"{round_number}{n:07d}")}}}
            for n in range(CLIENTS)
        ]

        results = await at_once(two_servers, requests)

        outcomes = Counter(result["__typename"] for result in results)
        assert outcomes == {"BookingConfirmation": SEATS, "SlotUnavailable": CLIENTS - SEATS}, outcomes
        assert {r["code"] for r in results if r["__typename"] == "SlotUnavailable"} == {"SLOT_FULL"}
        assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == SEATS
        assert await scalar(state, "SELECT count(*) FROM bookings WHERE slot_id = :id", id=int(slot_id)) == SEATS
    assert await scalar(state, "SELECT count(*) FROM slots WHERE booked > capacity") == 0
    assert (
        await scalar(
            state,
            """SELECT count(*) FROM slots sl WHERE sl.booked <>
                                  (SELECT count(*) FROM bookings b WHERE b.slot_id = sl.id AND b.status = 'BOOKED')""",
        )
        == 0
    )


async def test_50_concurrent_bookings_for_one_citizen_give_one(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=50, slots_per_day=5)
    same_person = citizen("27999888")
    requests = [
        {"query": BOOK, "variables": {"i": {"slotId": slots[n % len(slots)], "citizen": same_person}}}
        for n in range(50)
    ]

    results = await at_once(two_servers, requests)

    outcomes = Counter(result["__typename"] for result in results)
    assert outcomes == {"BookingConfirmation": 1, "LimitExceeded": 49}, outcomes
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
    assert await scalar(state, "SELECT sum(booked) FROM slots") == 1
