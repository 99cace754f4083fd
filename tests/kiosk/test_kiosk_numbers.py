"""The server side of offline kiosks: reserved blocks of walk-in numbers, and arrivals told afterwards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import (
    RESULT,
    FrontDesk,
    booking_due_in,
    device_token,
    events,
    front_desk,
    zone_far_from_midnight,
)

RESERVE = """mutation($n: Int!) { reserveTicketNumbers(count: $n) { __typename
    ... on TicketNumberBlock { day firstNumber lastNumber office { id } }
    ... on UserError { code message } ... on ValidationError { field } } }"""
OFFLINE_ISSUE = f"""mutation($o: ID!, $s: ID!, $p: PriorityClass! = STANDARD, $k: String, $a: DateTime, $b: Int) {{
    issueTicket(officeId: $o, serviceId: $s, priority: $p, idempotencyKey: $k, arrivedAt: $a, blockNumber: $b) {{
        {RESULT} ... on Ticket {{ issuedAt }} ... on InvalidState {{ reason at }} }} }}"""
OFFLINE_CHECK_IN = f"""mutation($o: ID!, $c: String!, $k: String, $a: DateTime, $b: Int) {{
    checkIn(officeId: $o, code: $c, idempotencyKey: $k, arrivedAt: $a, blockNumber: $b) {{
        {RESULT} ... on Ticket {{ issuedAt }} ... on InvalidState {{ reason at }} }} }}"""


ZONE = zone_far_from_midnight()  # arrivals minutes ago must be on the office's day


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(
        api, admin_token, services=("dni", "tasas"), timezone=ZONE, checkinOpensMinutes=30, checkinClosesMinutes=10
    )


async def reserve(front: FrontDesk, count: int, token: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await front.api.run(RESERVE, {"n": count}, token or front.kiosk))["reserveTicketNumbers"]
    return result


async def offline_issue(front: FrontDesk, token: str | None = None, **variables: Any) -> dict[str, Any]:
    values = {"o": front.office_id, "s": front.services["dni"]} | variables
    result: dict[str, Any] = (await front.api.run(OFFLINE_ISSUE, values, token or front.kiosk))["issueTicket"]
    return result


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_a_block_comes_from_the_top_so_the_days_numbers_stay_consecutive(
    front: FrontDesk, state: AppState
) -> None:
    first = await front.issue()
    assert first["number"] == "D-001"
    block = await reserve(front, 10)
    assert block["__typename"] == "TicketNumberBlock", block
    assert (block["firstNumber"], block["lastNumber"], block["office"]["id"]) == (990, 999, front.office_id)
    # the office's own day, not the server's
    assert block["day"] == await scalar(state, "SELECT (now() AT TIME ZONE :z)::date::text", z=ZONE)
    after = await front.issue(service="tasas")
    assert after["number"] == "T-002"  # not T-012: the kiosk's reservation does not move the day's numbers
    second = await reserve(front, 5)
    assert (second["firstNumber"], second["lastNumber"]) == (985, 989)
    assert (await front.issue())["number"] == "D-003"


async def test_a_day_that_reaches_the_blocks_steps_over_them(front: FrontDesk, state: AppState) -> None:
    block = await reserve(front, 500)
    assert (block["firstNumber"], block["lastNumber"]) == (500, 999)
    async with state.engine.begin() as conn:  # a very busy day: 499 numbers given already
        await conn.execute(text("UPDATE office_queue_counters SET last_ticket_number = 499"))
    assert (await front.issue())["number"] == "D-1000"
    assert (await front.issue())["number"] == "D-1001"
    # no room left at the top: the next block comes after every number given, as the counter's own
    late = await reserve(front, 5)
    assert (late["firstNumber"], late["lastNumber"]) == (1002, 1006)
    assert (await front.issue())["number"] == "D-1007"


async def test_blocks_and_server_numbers_never_collide_under_concurrency(api: Api, front: FrontDesk) -> None:
    other_kiosk = await device_token(api, front.admin, front.office_id, "KIOSK", "kiosk 2")
    calls = [reserve(front, 7), reserve(front, 7, other_kiosk), *(front.issue() for _ in range(8))]
    results = await asyncio.gather(*calls)
    numbers: list[int] = []
    for block in results[:2]:
        numbers.extend(range(block["firstNumber"], block["lastNumber"] + 1))
    numbers.extend(int(ticket["number"].split("-")[1]) for ticket in results[2:])
    issued = sorted(int(ticket["number"].split("-")[1]) for ticket in results[2:])
    assert issued == list(range(1, 9))  # consecutive, whatever the reservations in between
    assert sorted(numbers) == [*range(1, 9), *range(986, 1000)]


async def test_only_kiosks_reserve_and_counts_are_bounded(front: FrontDesk, state: AppState) -> None:
    for token in (front.clerk, front.display, front.admin):
        refused = await reserve(front, 5, token)
        assert refused["__typename"] == "NotAllowed", refused
    for count in (0, 501):
        wrong = await reserve(front, count)
        assert (wrong["__typename"], wrong["field"]) == ("ValidationError", "count")
    assert await scalar(state, "SELECT count(*) FROM ticket_number_blocks") == 0
    assert await scalar(state, "SELECT count(*) FROM office_queue_counters") == 0


async def test_a_kiosk_reserves_at_most_so_many_numbers_a_day(front: FrontDesk, state: AppState) -> None:
    for _ in range(4):
        assert (await reserve(front, 500))["__typename"] == "TicketNumberBlock"
    refused = await reserve(front, 1)
    assert refused["__typename"] == "LimitExceeded", refused
    # the first block fills the top (500-999), the others come after it, each past the last
    assert await scalar(state, "SELECT last_ticket_number FROM office_queue_counters") == 2499
    assert await scalar(state, "SELECT count(*) FROM ticket_number_blocks") == 4


async def test_a_replayed_walk_in_keeps_its_number_and_its_arrival_time(front: FrontDesk, state: AppState) -> None:
    block = await reserve(front, 3)
    online = await front.issue()  # the block is at the top: 001
    assert online["number"] == "D-001"
    arrived = ago(12)
    offline = await offline_issue(front, k="offline-1", a=arrived, b=block["firstNumber"])
    assert (offline["__typename"], offline["number"]) == ("Ticket", "D-997"), offline
    assert datetime.fromisoformat(offline["issuedAt"]) == datetime.fromisoformat(arrived)
    # the citizen who was there twelve minutes ago is ahead of the one who just came
    assert offline["position"] == 1
    assert (await front.ticket(online["id"]))["position"] == 2
    again = await offline_issue(front, k="offline-1", a=arrived, b=block["firstNumber"])
    assert (again["id"], again["number"]) == (offline["id"], offline["number"])
    # a kiosk that lost the answer replays the same key with its offline number: still the one ticket
    lost = await front.api.run(
        OFFLINE_ISSUE,
        {"o": front.office_id, "s": front.services["dni"], "k": "offline-1"},
        front.kiosk,
    )
    assert lost["issueTicket"]["id"] == offline["id"]
    assert await scalar(state, "SELECT count(*) FROM tickets") == 2


async def test_block_numbers_are_checked(api: Api, admin_token: str, front: FrontDesk, state: AppState) -> None:
    block = await reserve(front, 3)
    other_kiosk = await device_token(api, admin_token, front.office_id, "KIOSK", "kiosk 2")
    elsewhere = await front_desk(api, admin_token, slug="norte", services=("dni",))
    assert (await offline_issue(front, k="a", b=block["firstNumber"]))["__typename"] == "Ticket"

    used = await offline_issue(front, k="b", b=block["firstNumber"])
    assert (used["__typename"], used["reason"]) == ("InvalidState", "NUMBER_USED"), used
    outside = await offline_issue(front, k="c", b=block["lastNumber"] + 1)
    assert (outside["__typename"], outside["field"]) == ("ValidationError", "blockNumber")
    not_its_own = await offline_issue(front, other_kiosk, k="d", b=block["lastNumber"])
    assert (not_its_own["__typename"], not_its_own["field"]) == ("ValidationError", "blockNumber")
    other_office = await offline_issue(
        front, elsewhere.kiosk, o=elsewhere.office_id, s=elsewhere.services["dni"], k="e", b=block["lastNumber"]
    )
    assert (other_office["__typename"], other_office["field"]) == ("ValidationError", "blockNumber")
    staff = await offline_issue(front, front.clerk, k="f", b=block["lastNumber"])
    assert staff["__typename"] == "NotAllowed"
    assert await scalar(state, "SELECT count(*) FROM tickets") == 1
    # a refused attempt leaves its key free: the same key with a good number goes through
    assert (await offline_issue(front, k="c", b=block["lastNumber"]))["number"] == "D-999"


async def test_arrival_times_are_bounded_and_for_kiosks_only(front: FrontDesk, state: AppState) -> None:
    future = await offline_issue(front, k="a", a=(datetime.now(UTC) + timedelta(minutes=30)).isoformat())
    assert (future["__typename"], future["field"]) == ("ValidationError", "arrivedAt")
    yesterday = await offline_issue(front, k="b", a=ago(26 * 60))
    assert (yesterday["__typename"], yesterday["reason"]) == ("InvalidState", "ARRIVAL_OTHER_DAY")
    staff = await offline_issue(front, front.clerk, k="c", a=ago(5))
    assert staff["__typename"] == "NotAllowed"
    assert await scalar(state, "SELECT count(*) FROM tickets") == 0
    # a kiosk clock slightly ahead is taken as now
    skewed = await offline_issue(front, k="d", a=(datetime.now(UTC) + timedelta(seconds=30)).isoformat())
    assert skewed["__typename"] == "Ticket"
    assert datetime.fromisoformat(skewed["issuedAt"]) <= datetime.now(UTC)


async def test_a_replayed_check_in_is_judged_at_the_time_the_citizen_was_there(
    front: FrontDesk, state: AppState
) -> None:
    code = await booking_due_in(front, state, -15)  # check-in closed 5 minutes ago
    late = await front.api.run(OFFLINE_CHECK_IN, {"o": front.office_id, "c": code}, front.kiosk)
    refusal = late["checkIn"]
    assert (refusal["__typename"], refusal["reason"]) == ("InvalidState", "CHECKIN_TOO_LATE"), refusal
    assert datetime.fromisoformat(refusal["at"]) < datetime.now(UTC)
    block = await reserve(front, 2)
    arrived = ago(10)  # five minutes inside the window, while the kiosk was offline
    data = await front.api.run(
        OFFLINE_CHECK_IN,
        {"o": front.office_id, "c": code, "k": "ci-1", "a": arrived, "b": block["firstNumber"]},
        front.kiosk,
    )
    ticket = data["checkIn"]
    assert (ticket["__typename"], ticket["number"]) == ("Ticket", "D-998"), ticket
    assert block["lastNumber"] == 999
    assert datetime.fromisoformat(ticket["issuedAt"]) == datetime.fromisoformat(arrived)
    assert await scalar(state, "SELECT status::text FROM bookings WHERE code = :c", c=code) == "CHECKED_IN"


async def test_check_in_refusals_say_why_in_a_stable_word(
    api: Api, admin_token: str, front: FrontDesk, state: AppState
) -> None:
    early = await booking_due_in(front, state, 45, document="20000001")
    elsewhere = await front_desk(api, admin_token, slug="norte")
    too_early = await front.check_in(early)
    assert too_early["__typename"] == "InvalidState"
    data = await api.run(OFFLINE_CHECK_IN, {"o": front.office_id, "c": early}, front.kiosk)
    assert data["checkIn"]["reason"] == "CHECKIN_TOO_EARLY"
    assert datetime.fromisoformat(data["checkIn"]["at"]) > datetime.now(UTC)
    wrong = await api.run(OFFLINE_CHECK_IN, {"o": elsewhere.office_id, "c": early}, elsewhere.kiosk)
    assert wrong["checkIn"]["reason"] == "WRONG_OFFICE"


async def test_a_replay_with_a_block_number_gives_the_waiting_ticket_the_number_on_the_slip(
    front: FrontDesk, state: AppState
) -> None:
    block = await reserve(front, 3)
    lost = await offline_issue(front, k="lost-1")  # issued online; the kiosk never heard the answer
    assert lost["number"] == "D-001"
    slip = await offline_issue(front, k="lost-1", a=ago(1), b=block["firstNumber"])  # offline, it gave 997
    again = await offline_issue(front, k="lost-1", a=ago(1), b=block["firstNumber"])

    assert (slip["id"], slip["number"], again["number"]) == (lost["id"], "D-997", "D-997")
    assert [kind for _, kind, _ in await events(state, front.office_id)] == ["ISSUED", "RENUMBERED"]
    assert (await front.ticket(lost["id"]))["number"] == "D-997"
    assert (await front.call())["number"] == "D-997"  # the screens call the number the citizen holds
    # 001 is now free; the counter never hands it out again, like any number of a block left unused
    assert (await front.issue())["number"] == "D-002"


async def test_a_ticket_keeps_its_number_once_called_or_when_the_block_number_is_not_the_kiosks(
    api: Api, admin_token: str, front: FrontDesk, state: AppState
) -> None:
    block = await reserve(front, 3)
    other_kiosk = await device_token(api, admin_token, front.office_id, "KIOSK", "kiosk 2")
    others = await reserve(front, 2, other_kiosk)
    called = await offline_issue(front, k="called")
    assert (await front.call())["id"] == called["id"]
    late = await offline_issue(front, k="called", b=block["firstNumber"])
    foreign = await offline_issue(front, k="foreign")
    not_its_own = await offline_issue(front, k="foreign", b=others["firstNumber"])
    used = await offline_issue(front, k="used", b=block["lastNumber"])
    taken = await offline_issue(front, k="foreign", b=block["lastNumber"])

    assert (late["id"], late["number"]) == (called["id"], called["number"])
    assert (not_its_own["id"], not_its_own["number"]) == (foreign["id"], foreign["number"])
    assert used["number"] == "D-999"
    assert (taken["id"], taken["number"]) == (foreign["id"], foreign["number"])  # NUMBER_USED: it keeps its own
    kinds = [kind for _, kind, _ in await events(state, front.office_id)]
    assert "RENUMBERED" not in kinds
