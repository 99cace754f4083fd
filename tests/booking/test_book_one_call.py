"""The one-person booking in one round trip (resolvers/booking/one_call.py): the function in the database is
the one the Python's fragments build, and a booking costs the round trips it is meant to, so the gain cannot
slip back unnoticed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState, open_state
from core.settings import Settings
from realtime.live import LiveQueue
from resolvers.booking import one_call
from server.app import create_app
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen, scalar
from tests.support.round_trips import sending

# what bench.booking and the booking page read back: the booking's own columns (no nested reads)
BOOK_ONLY = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { manageToken booking { id code status startsAt } }
    ... on UserError { code message } } }"""


async def book_only(api: Api, slot_id: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(BOOK_ONLY, {"i": {"slotId": slot_id, "citizen": citizen()} | fields}))[
        "book"
    ]
    return result


async def test_the_function_in_the_database_is_the_one_the_fragments_build(state: AppState) -> None:
    body = await scalar(state, "SELECT prosrc FROM pg_proc WHERE proname = 'book_one'")

    # a fragment changed (the seat rule, the limit's count, the outbox facts): a migration must replace the
    # function with one_call.CREATE, or the one-call path books by yesterday's rules
    assert body == one_call.FUNCTION_BODY


@pytest.fixture
async def one_connection(settings: Settings, live_queue: LiveQueue) -> AsyncIterator[tuple[Api, AppState]]:
    """The API on a pool of one connection: each statement is prepared once on it, so what is counted after a
    warm-up is the path's own round trips, whichever request ran first."""
    narrow = settings.model_copy(update={"db_pool_size": 1})
    async with open_state(narrow, application_name="turnero-tests-one-connection") as state:
        app = create_app(narrow)
        app.state.turnero = state
        app.state.live_queue = live_queue
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://turnero.test") as http:
            yield Api(http), state


async def test_a_booking_is_two_round_trips_and_six_with_a_key(
    api: Api, admin_token: str, one_connection: tuple[Api, AppState]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=30, maxActiveBookingsPerCitizen=30)
    narrow, state = one_connection
    # the connection prepares every statement of the three paths
    await book_only(narrow, slots[2], citizen=citizen("20000001"))
    await book_only(narrow, slots[2], citizen=citizen("20000002"), idempotencyKey="warm")
    await book_only(narrow, slots[2], citizen=citizen("20000002"), idempotencyKey="warm")

    with sending(state) as plain:
        first = await book_only(narrow, slots[0])
    with sending(state) as keyed:
        second = await book_only(narrow, slots[1], idempotencyKey="attempt-1")
    with sending(state) as replayed:
        again = await book_only(narrow, slots[1], idempotencyKey="attempt-1")

    assert first["__typename"] == second["__typename"] == "BookingConfirmation"
    # the slot with its service's policy, then the whole booking (book_one): no BEGIN, no COMMIT, no ping
    assert plain.statements[1].startswith("SELECT r.o_outcome"), plain
    assert (len(plain.statements), plain.executed, plain.prepared) == (2, 2, 0), plain
    # Redis: the bookings' rate limit, the challenge's free pass (ADAPTIVE, the default policy), the service's
    # availability version bumped after the booking (core/availability_versions.py), and the cost charge unless
    # this process read the caller's bucket less than 2 s ago (core/rate_batch.py)
    assert plain.redis <= 4, plain
    # with a key, a transaction: BEGIN, the slot, the key's claim, book_one (which keeps the key's result), COMMIT
    assert (len(keyed.statements), keyed.executed, keyed.prepared) == (3, 5, 0), keyed
    assert again == second
    assert await scalar(state, "SELECT count(*) FROM bookings") == 4
    # a replay: BEGIN, the slot, the claim, the key's row, the booking, COMMIT; no seat taken, no function called
    assert (len(replayed.statements), replayed.executed, replayed.prepared) == (4, 6, 0), replayed
    assert not any(s.startswith("SELECT r.o_outcome") for s in replayed.statements)


async def test_refusals_from_the_function_are_the_statements_refusals(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=1, maxActiveBookingsPerCitizen=1)
    someone_else = citizen("20999888")

    mine = await book(api, slots[0])
    over_limit = await book(api, slots[1])
    full = await book(api, slots[0], citizen=someone_else)

    assert mine["__typename"] == "BookingConfirmation"
    assert over_limit["__typename"] == "LimitExceeded", over_limit
    assert "1" in over_limit["message"]
    assert full["__typename"] == "SlotUnavailable"
    assert full["code"] == "SLOT_FULL"
    assert [a["id"] for a in full["alternatives"]] == slots[1:]
    # refused: nothing of the function's work stays (its locks and seat rolled back with the transaction)
    assert await scalar(state, "SELECT sum(booked) FROM slots WHERE id = ANY(:ids)", ids=[int(s) for s in slots]) == 1
    assert await scalar(state, "SELECT count(*) FROM outbox") == 1
    async with state.engine.connect() as conn:
        events = (await conn.execute(text("SELECT count(*) FROM booking_events"))).scalar()
    assert events == 1
