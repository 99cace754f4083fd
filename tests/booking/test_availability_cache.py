"""Cached availability answers (schema/availability_cache.py) over real `serve` processes: every seat change
moves the versions they are keyed by, a write answered on one process is seen by the next read on another,
a hold that ends shows its seat again without any write, the cache changes no answer, and the same question asked
at once is computed once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.availability_versions import EPOCH_KEY, SERVICE_KEY
from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import BOOK, CANCEL, RESCHEDULE, ZONE, bookable_slots, citizen, scalar
from tests.support.holds import HOLD
from tests.support.metrics import counts_by_label
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

HOLD_MINUTES = 0.1  # six seconds: long enough to read it, short enough to watch it end
CITY = """query($s: ID!, $d: Date!) { availability(serviceId: $s, from: $d, to: $d) {
    date remaining office { id name slug } slots { id startsAt remaining } } }"""
RELEASE_HOLD = "mutation($t: String!) { releaseHold(token: $t) }"


@pytest.fixture(scope="module")
def servers(settings: Settings) -> Iterator[dict[str, str]]:
    """Two processes caching answers for 30 s (long enough that a missed invalidation would show), one without."""
    # the whole city's list is over the default cost budget by design (a scraper's request); the budget applies to
    # cached answers as to any (schema/extensions.py runs the cache last), it is not what is tested here
    common = {"TURNERO_HOLD_MINUTES": str(HOLD_MINUTES), "TURNERO_MAX_QUERY_COST": "0"}
    cached = suite_environment(settings, TURNERO_AVAILABILITY_CACHE_SECONDS="30", **common)
    plain = suite_environment(settings, TURNERO_AVAILABILITY_CACHE_SECONDS="0", **common)
    with serving(cached) as reader, serving(cached) as writer, serving(plain) as uncached:
        yield {"reader": reader, "writer": writer, "uncached": uncached}


@pytest.fixture
async def apis(servers: dict[str, str]) -> AsyncIterator[dict[str, Api]]:
    clients = {name: httpx.AsyncClient(base_url=base, timeout=60) for name, base in servers.items()}
    try:
        yield {name: Api(client) for name, client in clients.items()}
    finally:
        for client in clients.values():
            await client.aclose()


def tomorrow() -> str:
    return (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()


async def service_of(state: AppState, slot_id: str) -> str:
    return str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))


async def remaining(api: Api, service: str) -> dict[str, int]:
    """Each shown slot's remaining seats, as an anonymous caller reads the whole city."""
    data = await api.run(CITY, {"s": service, "d": tomorrow()})
    return {slot["id"]: slot["remaining"] for day in data["availability"] for slot in day["slots"]}


async def versions(state: AppState, service: str) -> tuple[int, int]:
    """The epoch every answer is keyed by, and the service's own version."""
    epoch, own = await state.redis.mget([EPOCH_KEY, SERVICE_KEY.format(service)])
    return int(epoch or 0), int(own or 0)


async def version_sum(state: AppState, service: str) -> int:
    return sum(await versions(state, service))


async def test_a_cached_answer_is_served_without_executing(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    """The cache is really used: an answer planted under the key a read computed is what the next read gets."""
    slots = await bookable_slots(api, admin_token, capacity=2)
    service = await service_of(state, slots[0])
    first = await remaining(apis["reader"], service)
    keys = [key async for key in state.redis.scan_iter("availability:answer:*")]
    assert len(keys) == 1
    assert first == dict.fromkeys(slots, 2)
    planted = b'{"availability":[{"date":"2000-01-01","remaining":7,"office":{"id":"1","name":"x","slug":"x"},'
    planted += b'"slots":[{"id":"planted","startsAt":"2000-01-01T09:00:00-03:00","remaining":7}]}]}'
    await state.redis.set(keys[0], planted, ex=30)

    assert await remaining(apis["reader"], service) == {"planted": 7}
    # another process reads the same shared cache; a process with the cache off computes the answer
    assert await remaining(apis["writer"], service) == {"planted": 7}
    assert await remaining(apis["uncached"], service) == first


Write = Callable[[Api, dict[str, Any]], Awaitable[Any]]


async def test_every_seat_change_moves_the_versions_answers_are_keyed_by(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=3)
    service = await service_of(state, slots[0])
    writer = apis["writer"]
    seen: dict[str, Any] = {}

    async def book(w: Api, s: dict[str, Any]) -> None:
        result = (await w.run(BOOK, {"i": {"slotId": slots[0], "citizen": citizen("20111222")}}))["book"]
        s["code"], s["token"] = result["booking"]["code"], result["manageToken"]

    async def reschedule(w: Api, s: dict[str, Any]) -> None:
        result = await w.run(RESCHEDULE, {"c": s["code"], "s": slots[1], "t": s["token"]})
        s["token"] = result["rescheduleBooking"]["manageToken"]

    async def cancel(w: Api, s: dict[str, Any]) -> None:
        await w.run(CANCEL, {"c": s["code"], "t": s["token"]})

    async def hold(w: Api, s: dict[str, Any]) -> None:
        s["hold"] = (await w.run(HOLD, {"s": slots[2]}))["holdSlot"]["token"]

    async def release(w: Api, s: dict[str, Any]) -> None:
        assert (await w.run(RELEASE_HOLD, {"t": s["hold"]}))["releaseHold"] is True

    async def book_held(w: Api, s: dict[str, Any]) -> None:
        await hold(w, s)
        before = await version_sum(state, service)
        result = await w.run(BOOK, {"i": {"slotId": slots[2], "citizen": citizen("20333444"), "holdToken": s["hold"]}})
        assert result["book"]["__typename"] == "BookingConfirmation", result
        assert await version_sum(state, service) > before

    async def close_day(w: Api, s: dict[str, Any]) -> None:
        result = await w.run(
            "mutation($i: ClosureInput!) { addClosure(input: $i) { __typename } }",
            {"i": {"date": tomorrow(), "reason": "strike"}},
            admin_token,
        )
        assert result["addClosure"]["__typename"] == "Closure", result

    # (mutation, whether it names its service: then only that service's version moves, not every answer's epoch)
    table: list[tuple[str, Write, bool]] = [
        ("book", book, True),
        ("rescheduleBooking", reschedule, True),
        ("cancelBooking", cancel, True),
        ("holdSlot", hold, True),
        ("releaseHold", release, True),
        ("book with a hold", book_held, True),
        ("addClosure", close_day, False),
    ]
    for name, write, names_service in table:
        await remaining(apis["reader"], service)  # an answer cached under the versions before the write
        epoch, own = await versions(state, service)
        await write(writer, seen)
        moved = await versions(state, service)
        assert moved[0] + moved[1] > epoch + own, name
        if names_service:
            assert moved[0] == epoch, name
            assert moved[1] > own, name
        assert await remaining(apis["reader"], service) == await remaining(apis["uncached"], service), name


async def test_a_write_answered_on_one_process_is_seen_by_the_next_read_on_another(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    """Readers hammer process A (filling its cache all along) while process B books, cancels, holds and
    releases; after each write's answer, the very next read on A shows exactly the seats left."""
    slots = await bookable_slots(api, admin_token, capacity=4, slots_per_day=2)
    service = await service_of(state, slots[0])
    reader, writer = apis["reader"], apis["writer"]
    expected = dict.fromkeys(slots, 4)
    done = asyncio.Event()
    reads = 0

    async def hammer() -> None:
        nonlocal reads
        while not done.is_set():
            await remaining(reader, service)
            reads += 1

    hammers = [asyncio.create_task(hammer()) for _ in range(4)]
    try:
        bookings: list[tuple[str, str]] = []
        holds: list[str] = []
        for round_number in range(3):
            for n in range(2):
                result = await writer.run(
                    BOOK, {"i": {"slotId": slots[0], "citizen": citizen(f"3{round_number}{n}00000")}}
                )
                bookings.append((result["book"]["booking"]["code"], result["book"]["manageToken"]))
                expected[slots[0]] -= 1
                assert await remaining(reader, service) == expected
            code, token = bookings.pop()
            await writer.run(CANCEL, {"c": code, "t": token})
            expected[slots[0]] += 1
            assert await remaining(reader, service) == expected
            holds.append((await writer.run(HOLD, {"s": slots[1]}))["holdSlot"]["token"])
            expected[slots[1]] -= 1
            assert await remaining(reader, service) == expected
            await writer.run(RELEASE_HOLD, {"t": holds.pop()})
            expected[slots[1]] += 1
            assert await remaining(reader, service) == expected
            for code, token in bookings:
                await writer.run(CANCEL, {"c": code, "t": token})
                expected[slots[0]] += 1
                assert await remaining(reader, service) == expected
            bookings.clear()
    finally:
        done.set()
        await asyncio.gather(*hammers)
    assert reads > 20  # the readers did run alongside


async def test_a_hold_that_ends_shows_its_seat_again_without_any_write(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=1, slots_per_day=2)
    service = await service_of(state, slots[0])
    reader = apis["reader"]
    assert await remaining(reader, service) == dict.fromkeys(slots, 1)
    held = await apis["writer"].run(HOLD, {"s": slots[0]})
    assert held["holdSlot"]["__typename"] == "SlotHold"
    assert await remaining(reader, service) == {slots[1]: 1}
    versions = await version_sum(state, service)

    deadline = time.monotonic() + HOLD_MINUTES * 60 + 10  # well inside the 30 s an answer could otherwise live
    while (shown := await remaining(reader, service)) == {slots[1]: 1} and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)  # polled: nothing announces that a hold ended, which is the point

    assert shown == dict.fromkeys(slots, 1)
    assert await version_sum(state, service) == versions  # nothing was written: the hold ended by time


async def test_the_cache_changes_no_answer(api: Api, admin_token: str, state: AppState, apis: dict[str, Api]) -> None:
    slots = await bookable_slots(api, admin_token, capacity=2, slots_per_day=3)
    await bookable_slots(api, admin_token, capacity=1, slots_per_day=2, office_slug="norte")
    service = await service_of(state, slots[0])
    office = str(await scalar(state, "SELECT office_id FROM slots WHERE id = :id", id=int(slots[0])))
    day = tomorrow()
    queries: list[tuple[str, dict[str, Any]]] = [
        (CITY, {"s": service, "d": day}),
        (
            """query($s: ID!, $d: Date!, $o: ID!) { availability(serviceId: $s, from: $d, to: $d, officeId: $o) {
                remaining slots { id remaining held reserved booked capacity endsAt service { slug name } } } }""",
            {"s": service, "d": day, "o": office},
        ),
        ("query($s: ID!) { earliestSlots(serviceId: $s, limit: 3) { id startsAt office { name } } }", {"s": service}),
        (
            """query($s: ID!, $d: Date!) { soon: earliestSlots(serviceId: $s, onePerOffice: true) { id remaining }
                week: availability(serviceId: $s, from: $d, to: $d) { date remaining } }""",
            {"s": service, "d": day},
        ),
        (f'{{ earliestSlots(serviceId: "{service}", limit: 2) {{ id }} }}', {}),
    ]
    for language in ("en", "es"):
        for query, variables in queries:
            answers = []
            for name in ("uncached", "reader", "reader", "writer"):  # the second read on the reader is a hit
                client = apis[name]
                client.language = language
                answers.append(await client.run(query, variables))
            assert all(answers[0].values()), query  # every root answered something: the case is cacheable
            assert all(answer == answers[0] for answer in answers), query


async def answers_counted(api: Api) -> dict[str, float]:
    """The process's count of cacheable availability operations by outcome (hit, joined, miss, kept)."""
    return counts_by_label((await api.client.get("/metrics")).text, "turnero_availability_answers", "outcome")


async def waiting_on_slots(state: AppState) -> int:
    """Statements of other sessions of this database waiting for a lock while reading slots."""
    return int(
        await scalar(
            state,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query ILIKE '%slots%'",
        )
    )


async def asked_at_once(state: AppState, api: Api, service: str, day: str, callers: int) -> tuple[int, list[Any]]:
    """`callers` ask `api` the same question at once while the first one's computation is held by a lock on slots
    (so that the others arrive while it runs): how many computations were waiting on the lock, and the answers."""
    async with state.engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("LOCK TABLE slots IN ACCESS EXCLUSIVE MODE"))
        asked = [asyncio.create_task(api.run(CITY, {"s": service, "d": day})) for _ in range(callers)]
        for _ in range(600):  # the first computation reaches the lock (30 s at most)
            if await waiting_on_slots(state) > 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)  # time for the others to arrive: each computing would be waiting too
        waiting = await waiting_on_slots(state)
        await conn.rollback()
    return waiting, await asyncio.gather(*asked)


def counted(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {outcome: after.get(outcome, 0) - before.get(outcome, 0) for outcome in ("hit", "joined", "miss", "kept")}


async def test_the_same_question_asked_at_once_is_computed_once(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    """A release burst: many callers ask the same thing before the first answer is stored. One of them computes
    it; the others wait for that answer instead of computing it again, and all get the right one."""
    slots = await bookable_slots(api, admin_token, capacity=2)
    service = await service_of(state, slots[0])
    expected = await apis["uncached"].run(CITY, {"s": service, "d": tomorrow()})
    before = await answers_counted(apis["reader"])

    waiting, answers = await asked_at_once(state, apis["reader"], service, tomorrow(), 12)

    assert waiting == 1
    assert answers == [expected] * 12
    assert counted(before, await answers_counted(apis["reader"])) == {"hit": 0, "joined": 11, "miss": 1, "kept": 1}


async def test_an_answer_not_to_share_is_computed_by_each_caller(
    api: Api, admin_token: str, state: AppState, apis: dict[str, Api]
) -> None:
    """An empty answer is never shared (each one records its caller's unmet demand): those who waited for it
    compute their own."""
    slots = await bookable_slots(api, admin_token, capacity=2)
    service = await service_of(state, slots[0])
    no_seats = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=2)).isoformat()  # the agenda is tomorrow's weekday
    before = await answers_counted(apis["reader"])

    waiting, answers = await asked_at_once(state, apis["reader"], service, no_seats, 6)

    assert waiting == 1
    assert answers == [{"availability": []}] * 6
    assert counted(before, await answers_counted(apis["reader"])) == {"hit": 0, "joined": 0, "miss": 6, "kept": 0}
