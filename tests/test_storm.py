"""Hundreds pressing "book" at once, through two API processes over real HTTP: never more bookings than seats."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from core.runtime import AppState
from tests.booking_support import BOOK, bookable_slots, citizen, scalar
from tests.support import Api

ROUNDS = 5
CLIENTS = 200
SEATS = 3


async def storm(servers: list[str], requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All requests at once, alternating between the servers, each on a connection of its own."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        gate = asyncio.Event()

        async def send(number: int, body: dict[str, Any]) -> dict[str, Any]:
            await gate.wait()
            response = await client.post(f"{servers[number % len(servers)]}/graphql", json=body)
            assert response.status_code == 200, response.text
            payload: dict[str, Any] = response.json()
            assert "errors" not in payload, payload
            return payload["data"]["book"]  # type: ignore[no-any-return]

        tasks = [asyncio.create_task(send(n, body)) for n, body in enumerate(requests)]
        await asyncio.sleep(0.2)
        gate.set()
        return await asyncio.gather(*tasks)


async def test_200_citizens_on_3_seats_get_3_bookings_five_times_over(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=SEATS, slots_per_day=ROUNDS)

    for round_number, slot_id in enumerate(slots[:ROUNDS]):
        requests = [
            {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"{round_number}{n:07d}")}}}
            for n in range(CLIENTS)
        ]

        results = await storm(two_servers, requests)

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

    results = await storm(two_servers, requests)

    outcomes = Counter(result["__typename"] for result in results)
    assert outcomes == {"BookingConfirmation": 1, "LimitExceeded": 49}, outcomes
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
    assert await scalar(state, "SELECT sum(booked) FROM slots") == 1
