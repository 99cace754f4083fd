"""Holds (issue 14, part 1): a seat held while the citizen fills in the form is theirs alone, for a while."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.errors import LimitExceededError
from core.runtime import AppState
from core.settings import Settings
from jobs.context import JobContext
from jobs.housekeeping import prune
from resolvers.booking import seats
from resolvers.booking.holds import MAX_LIVE_HOLDS, within_hold_limit
from tests.support.api import Api
from tests.support.booking import BOOK, ZONE, bookable_slots, citizen, scalar
from tests.support.holds import HOLD, hold, shown
from tests.support.processes import at_once, serving, suite_environment


async def book(api: Api, slot_id: str, document: str, hold_token: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"slotId": slot_id, "citizen": citizen(document)}
    if hold_token is not None:
        fields["holdToken"] = hold_token
    result: dict[str, Any] = (await api.run(BOOK, {"i": fields}))["book"]
    return result


async def expire(state: AppState, token_slot: str) -> None:
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE slot_holds SET expires_at = now() - interval '1 second' WHERE slot_id = :s"),
            {"s": int(token_slot)},
        )


async def test_a_hold_takes_the_seat_until_its_token_books_it(api: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1))[0]

    held = await hold(api, slot_id)

    assert held["__typename"] == "SlotHold", held
    assert held["slot"] == {"id": slot_id, "remaining": 0, "held": 1}
    expires_at = datetime.fromisoformat(held["expiresAt"])
    assert timedelta(minutes=4) < expires_at - datetime.now(ZoneInfo(ZONE)) <= timedelta(minutes=5)
    assert await shown(api, state, slot_id) is None  # a full slot is not offered
    taken = await book(api, slot_id, "20111222")
    assert (taken["__typename"], taken["code"]) == ("SlotUnavailable", "SLOT_FULL"), taken
    assert (await hold(api, slot_id))["__typename"] == "SlotUnavailable"

    booked = await book(api, slot_id, "20333444", held["token"])

    assert booked["__typename"] == "BookingConfirmation", booked
    assert booked["booking"]["slot"] == {"id": slot_id, "remaining": 0}
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 1
    assert await scalar(state, "SELECT count(*) FROM slot_holds") == 0  # the hold became the booking
    again = await book(api, slot_id, "20555666", held["token"])
    assert (again["__typename"], again["field"]) == ("ValidationError", "holdToken"), again


async def test_tokens_and_addresses_are_kept_only_as_keyed_hashes(api: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=2))[0]
    held = await hold(api, slot_id)

    async with state.engine.connect() as conn:
        row = (await conn.execute(text("SELECT token_hash, address_hash FROM slot_holds"))).one()
    assert len(row.token_hash) == len(row.address_hash) == 32
    assert held["token"].encode() not in row.token_hash
    assert b"127.0.0.1" not in row.address_hash


async def test_an_expired_hold_gives_its_seat_back_by_itself(api: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1))[0]
    held = await hold(api, slot_id)
    assert await shown(api, state, slot_id) is None

    await expire(state, slot_id)  # no job runs: only the clock moved past the hold

    assert await shown(api, state, slot_id) == {"id": slot_id, "remaining": 1, "held": 0, "reserved": 0}
    late = await book(api, slot_id, "20111222", held["token"])
    assert (late["__typename"], late["code"]) == ("InvalidState", "INVALID_STATE"), late
    assert (await book(api, slot_id, "20333444"))["__typename"] == "BookingConfirmation"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 1


async def test_the_nightly_prune_deletes_only_holds_expired_a_day_ago(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=1)
    for slot_id in slots[:3]:
        await hold(api, slot_id, admin_token)
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""UPDATE slot_holds SET expires_at = now() + CASE slot_id WHEN :old THEN interval '-25 hours'
                    WHEN :recent THEN interval '-1 hour' ELSE interval '1 hour' END"""),
            {"old": int(slots[0]), "recent": int(slots[1])},
        )
    context: JobContext = {"turnero_state": state}

    assert (await prune(context))["slot_holds"] == 1

    assert await scalar(state, "SELECT count(*) FROM slot_holds") == 2
    assert await scalar(state, "SELECT count(*) FROM slot_holds WHERE expires_at > now()") == 1


async def test_a_hold_books_only_its_own_slot_and_unknown_tokens_book_nothing(api: Api, admin_token: str) -> None:
    first, second = (await bookable_slots(api, admin_token, capacity=1))[:2]
    held = await hold(api, first)

    elsewhere = await book(api, second, "20111222", held["token"])
    unknown = await book(api, second, "20111222", "not-a-token")

    assert (elsewhere["__typename"], elsewhere["field"]) == ("ValidationError", "holdToken"), elsewhere
    assert (unknown["__typename"], unknown["field"]) == ("ValidationError", "holdToken"), unknown
    assert (await book(api, first, "20111222", held["token"]))["__typename"] == "BookingConfirmation"


async def test_an_address_holds_at_most_two_seats_at_once(api: Api, admin_token: str, state: AppState) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5)
    holds = [await hold(api, slots[n]) for n in range(MAX_LIVE_HOLDS)]
    assert [h["__typename"] for h in holds] == ["SlotHold"] * MAX_LIVE_HOLDS

    over = await hold(api, slots[MAX_LIVE_HOLDS])
    assert over["__typename"] == "LimitExceeded", over

    # booking with one hold frees the address's place for another; so does a hold's expiry
    assert (await book(api, slots[0], "20111222", holds[0]["token"]))["__typename"] == "BookingConfirmation"
    assert (await hold(api, slots[MAX_LIVE_HOLDS]))["__typename"] == "SlotHold"
    assert (await hold(api, slots[0]))["__typename"] == "LimitExceeded"
    await expire(state, slots[1])
    assert (await hold(api, slots[0]))["__typename"] == "SlotHold"


async def test_a_released_hold_gives_its_seat_back_at_once(api: Api, admin_token: str, state: AppState) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1))[0]
    held = await hold(api, slot_id)
    release = "mutation($t: String!) { releaseHold(token: $t) }"

    assert (await api.run(release, {"t": held["token"]}))["releaseHold"] is True

    assert await shown(api, state, slot_id) == {"id": slot_id, "remaining": 1, "held": 0, "reserved": 0}
    assert (await api.run(release, {"t": held["token"]}))["releaseHold"] is False
    late = await book(api, slot_id, "20111222", held["token"])
    assert (late["__typename"], late["field"]) == ("ValidationError", "holdToken"), late


async def test_holds_made_for_a_named_citizen_count_against_their_document(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=5)
    document = b"d" * 32
    async with state.engine.begin() as conn:
        for n in range(MAX_LIVE_HOLDS):
            found = await seats.slot(conn, int(slots[n]))
            assert found is not None
            await seats.hold_seat(
                conn,
                found,
                token_hash=bytes([n]) * 32,
                address_hash=None,
                seconds=60,
                with_reserved=False,
                document_hash=document,
            )

    async with state.engine.begin() as conn:
        await within_hold_limit(conn, None, b"e" * 32)  # another citizen holds nothing
        with pytest.raises(LimitExceededError):
            await within_hold_limit(conn, None, document)


async def test_staff_holds_are_not_counted_by_address(api: Api, admin_token: str) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=5))[0]

    results = [await hold(api, slot_id, admin_token) for _ in range(MAX_LIVE_HOLDS + 1)]

    assert [r["__typename"] for r in results] == ["SlotHold"] * (MAX_LIVE_HOLDS + 1)


async def test_a_held_seat_is_booked_even_when_everyone_else_filled_the_slot(
    api: Api, admin_token: str, state: AppState
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=2))[0]
    held = await hold(api, slot_id)
    assert (await book(api, slot_id, "20111222"))["__typename"] == "BookingConfirmation"
    full = await book(api, slot_id, "20333444")
    assert (full["__typename"], full["code"]) == ("SlotUnavailable", "SLOT_FULL"), full

    mine = await book(api, slot_id, "20555666", held["token"])

    assert mine["__typename"] == "BookingConfirmation", mine
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 2


SEATS = 3
STORM = 200


@pytest.mark.slow
async def test_a_storm_of_holds_and_bookings_across_two_processes_never_passes_capacity(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=SEATS))[0]
    requests = [
        {"query": HOLD, "variables": {"s": slot_id}}
        if n % 2
        else {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"3{n:07d}")}}}
        for n in range(STORM)
    ]
    # every request from its own address: the per-address hold limit is not what stops them
    addresses = [f"198.51.{n // 250}.{n % 250 + 1}" for n in range(STORM)]

    results = await at_once(two_servers, requests, addresses=addresses)

    outcomes = Counter(result["__typename"] for result in results)
    won = outcomes["SlotHold"] + outcomes["BookingConfirmation"]
    assert won == SEATS, outcomes
    assert outcomes["SlotUnavailable"] == STORM - SEATS, outcomes
    tokens = [result["token"] for result in results if result["__typename"] == "SlotHold"]
    # every winner of a hold gets the seat, however many others press "book" at the same moment
    late = [
        {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"4{n:07d}")}}}
        for n in range(STORM - len(tokens))
    ] + [
        {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"5{n:07d}"), "holdToken": t}}}
        for n, t in enumerate(tokens)
    ]
    second = Counter(result["__typename"] for result in await at_once(two_servers, late))
    # (a Counter on both sides: when the first burst's bookings won every seat, no BookingConfirmation is a zero)
    assert second == Counter({"BookingConfirmation": len(tokens), "SlotUnavailable": STORM - len(tokens)}), second
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == SEATS
    assert await scalar(state, "SELECT count(*) FROM bookings WHERE slot_id = :id", id=int(slot_id)) == SEATS


@pytest.mark.slow
async def test_a_held_last_seat_is_exclusive_across_two_processes(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1))[0]
    async with httpx.AsyncClient(base_url=two_servers[0]) as http:
        response = await http.post("/graphql", json={"query": HOLD, "variables": {"s": slot_id}})
    held = response.json()["data"]["holdSlot"]
    assert held["__typename"] == "SlotHold", held
    requests = [
        {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"6{n:07d}")}}} for n in range(50)
    ] + [{"query": HOLD, "variables": {"s": slot_id}} for _ in range(50)]

    others = Counter(result["__typename"] for result in await at_once(two_servers, requests))

    assert others == {"SlotUnavailable": 100}, others
    mine = await at_once(
        two_servers[1:],
        [{"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(), "holdToken": held["token"]}}}],
    )
    assert mine[0]["__typename"] == "BookingConfirmation", mine
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 1


@pytest.mark.slow
async def test_a_served_hold_expires_by_itself_after_its_minutes(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1))[0]
    seconds = 3
    with serving(suite_environment(settings, TURNERO_HOLD_MINUTES=str(seconds / 60))) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            held = (await http.post("/graphql", json={"query": HOLD, "variables": {"s": slot_id}})).json()
            assert held["data"]["holdSlot"]["__typename"] == "SlotHold", held
            assert await shown(api, state, slot_id) is None

            await asyncio.sleep(seconds + 0.5)

            assert await shown(api, state, slot_id) == {"id": slot_id, "remaining": 1, "held": 0, "reserved": 0}
            body = {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen()}}}
            booked = (await http.post("/graphql", json=body)).json()
            assert booked["data"]["book"]["__typename"] == "BookingConfirmation", booked
    assert await scalar(state, "SELECT count(*) FROM slot_holds WHERE expires_at > now()") == 0
