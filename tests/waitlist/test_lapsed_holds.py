"""A citizen's hold that runs out gives its seat to the waitlist first (issue 14 part 5), through a real `serve`
with 3-second holds and a real worker: while someone waits for the procedure the expired hold keeps hiding its
seat until the worker offers it to the first in line; with nobody waiting the seat is back at once, and with the
worker stopped it comes back by itself after the grace. Two passes at once offer each seat once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.waitlist import pass_on_lapsed_holds
from resolvers.agenda.records import LAPSE_GRACE_SECONDS
from tests.conftest import TESTS_MAX_QUERY_COST
from tests.notifications.test_worker_outbox import wait_until, worker
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, scalar
from tests.support.holds import hold, shown
from tests.support.processes import serving, suite_environment
from tests.waitlist.test_offers import job_context, read, waiting

pytestmark = pytest.mark.slow

HOLD_SECONDS = 3
LIVE_OFFERS = "SELECT count(*) FROM waitlist_entries WHERE status = 'OFFERED'"


def env(settings: Settings) -> dict[str, str]:
    return suite_environment(
        settings,
        TURNERO_HOLD_MINUTES=str(HOLD_SECONDS / 60),
        TURNERO_RERELEASE_DELAY_MINUTES="10",
        TURNERO_MAX_QUERY_COST=str(TESTS_MAX_QUERY_COST),  # availability with each slot's seats, as in-process
    )


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[str]:
    with serving(env(settings)) as base:
        yield base


@pytest.fixture
async def web(site: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        yield Api(http)


async def one_seat(web: Api, state: AppState) -> tuple[str, int]:
    token = await web.make_admin(state)
    slot_id = (await bookable_slots(web, token, capacity=1))[0]
    return slot_id, int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))


async def held_until_expired(web: Api, slot_id: str) -> None:
    held = await hold(web, slot_id)
    assert held["__typename"] == "SlotHold", held
    await asyncio.sleep(HOLD_SECONDS + 1)


async def test_an_expired_hold_s_seat_is_offered_to_the_first_in_line_before_anyone_sees_it(
    web: Api, state: AppState, settings: Settings
) -> None:
    slot_id, service_id = await one_seat(web, state)
    first = await waiting(web, service_id, "21000001")
    second = await waiting(web, service_id, "21000002")
    await held_until_expired(web, slot_id)

    # no worker yet: the expired hold still hides its seat, from availability and from `book`
    for _ in range(3):
        assert await shown(web, state, slot_id) is None
        await asyncio.sleep(0.5)
    taken = await book(web, slot_id)
    assert taken["__typename"] == "SlotUnavailable", taken
    assert (await read(web, first))["status"] == "WAITING"

    with worker(env(settings)):
        await wait_until(state, LIVE_OFFERS, 1, seconds=30)
    assert (await read(web, first))["status"] == "OFFERED"
    assert (await read(web, second))["status"] == "WAITING"
    assert await shown(web, state, slot_id) is None  # the offer holds it now
    holds = "SELECT count(*) FROM slot_holds WHERE slot_id = :id AND document_hash IS NULL"
    assert await scalar(state, holds, id=int(slot_id)) == 0  # the citizen's hold is gone, and no re-release hold


async def test_with_nobody_waiting_the_seat_is_back_at_once_and_the_pass_only_tidies(
    web: Api, state: AppState, settings: Settings
) -> None:
    slot_id, _ = await one_seat(web, state)
    await held_until_expired(web, slot_id)
    seat = await shown(web, state, slot_id)
    assert seat is not None
    assert seat["remaining"] == 1

    with worker(env(settings)):
        await wait_until(state, "SELECT count(*) FROM slot_holds", 0, seconds=30)
    # not kept back for the re-release delay: its end was known to whoever held it
    seat = await shown(web, state, slot_id)
    assert seat is not None
    assert seat["remaining"] == 1
    assert await scalar(state, LIVE_OFFERS) == 0


async def test_without_a_worker_the_seat_comes_back_by_itself_after_the_grace(web: Api, state: AppState) -> None:
    slot_id, service_id = await one_seat(web, state)
    await waiting(web, service_id, "22000001")
    await held_until_expired(web, slot_id)
    assert await shown(web, state, slot_id) is None
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE slot_holds SET expires_at = now() - make_interval(secs => :s) WHERE slot_id = :id"),
            {"s": LAPSE_GRACE_SECONDS + 1, "id": int(slot_id)},
        )
    seat = await shown(web, state, slot_id)
    assert seat is not None
    assert seat["remaining"] == 1


async def test_two_passes_at_once_offer_each_lapsed_seat_once(web: Api, state: AppState) -> None:
    token = await web.make_admin(state)
    slot_id = (await bookable_slots(web, token, capacity=4))[0]
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    entries = [await waiting(web, service_id, f"2300000{n}") for n in range(6)]
    for _ in range(4):  # staff are not held to two holds per address
        held: dict[str, Any] = await hold(web, slot_id, token)
        assert held["__typename"] == "SlotHold", held
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE slot_holds SET expires_at = now() - interval '1 second' WHERE slot_id = :id"),
            {"id": int(slot_id)},
        )

    runs = await asyncio.gather(pass_on_lapsed_holds(job_context(state)), pass_on_lapsed_holds(job_context(state)))

    assert sum(run["deleted"] for run in runs) == 4
    assert sum(run["offered"] for run in runs) == 4
    assert [(await read(web, entry))["status"] for entry in entries] == ["OFFERED"] * 4 + ["WAITING"] * 2
    live = "SELECT count(*) FROM slot_holds WHERE slot_id = :id AND expires_at > now() AND document_hash IS NOT NULL"
    assert await scalar(state, live, id=int(slot_id)) == 4
    assert await shown(web, state, slot_id) is None
    again = await pass_on_lapsed_holds(job_context(state))
    assert again == {"deleted": 0, "offered": 0}
