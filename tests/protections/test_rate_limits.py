"""Rate limits with their default settings, through real `serve` processes sharing one Redis, as attackers and
honest clients would meet them; and the limiter itself when Redis is away."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from graphql import parse
from limits import RateLimitItemPerSecond, parse_many
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from sqlalchemy import text
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from core.rate_windows import Charge, RedisWindows, Window, smooth_retry_after
from core.ratelimit import RateLimiter, RatePolicy
from core.runtime import AppState
from core.settings import Settings
from resolvers.accounts.viewer import ANONYMOUS, Viewer
from schema.ratelimit import root_field_counts
from tests.support.api import Api
from tests.support.booking import BOOK, bookable_slots, citizen
from tests.support.front_desk import front_desk
from tests.support.live import Socket, error_codes, websocket_url
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

# every TURNERO_RATE_… setting at its default, over the suite's generous ones
DEFAULT_RATES = {
    str(field.alias): str(field.default)
    for name, field in Settings.model_fields.items()
    if name.startswith("rate_") and field.alias
}
# the booking page's search: one office (a city-wide one costs a thousand times more, and the cost bucket
# would refuse it before the search bucket does)
SEARCH = (
    """query($s: ID!, $o: ID!, $d: Date!) { availability(serviceId: $s, officeId: $o, from: $d, to: $d) { date } }"""
)
PROBE = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
def limited_servers(settings: Settings) -> Iterator[list[str]]:
    """Two `serve` processes on the test database and Redis, with the default rate limits."""
    env = suite_environment(settings, **DEFAULT_RATES)
    with serving(env) as first, serving(env) as second:
        yield [first, second]


@pytest.fixture(scope="module")
def tight_server(settings: Settings) -> Iterator[str]:
    """One `serve` with the defaults but an anonymous budget of 60 points (1 a second) and 3 sign-ins a minute."""
    tight = {"TURNERO_RATE_ANONYMOUS_COST_PER_SECOND": "1", "TURNERO_RATE_LOGIN": "3/minute"}
    env = suite_environment(settings, **DEFAULT_RATES | tight)
    with serving(env) as base:
        yield base


@asynccontextmanager
async def from_address(base: str, source: str) -> AsyncIterator[Api]:
    """A client whose requests come from `source` (any of 127.0.0.0/8 is this machine)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=30) as client:
        yield Api(client)


@asynccontextmanager
async def probing(base: str) -> AsyncIterator[list[float]]:
    """`{ __typename }` from 127.0.0.2 every 50 ms while the block runs: the seconds each answer took."""
    took: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        async with from_address(base, "127.0.0.2") as api:
            while not done.is_set():
                started = time.monotonic()
                response = await api.client.post("/graphql", json=PROBE)
                assert response.json()["data"] == {"__typename": "Query"}
                took.append(time.monotonic() - started)
                await asyncio.sleep(0.05)

    task = asyncio.create_task(probe())
    try:
        yield took
    finally:
        done.set()
        await task


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The RATE_LIMITED error of a refused request, after checking its status and Retry-After."""
    assert response.status_code == 429, response.text
    error: dict[str, Any] = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED", error
    assert int(response.headers["Retry-After"]) == error["extensions"]["retryAfter"] > 0
    return error


async def flood(count: int, send: Callable[[int], Awaitable[httpx.Response]]) -> list[httpx.Response]:
    """`count` requests, twenty at a time."""
    responses: list[httpx.Response] = []
    for start in range(0, count, 20):
        responses += await asyncio.gather(*(send(n) for n in range(start, min(count, start + 20))))
    return responses


async def test_a_booking_bot_gets_five_bookings_across_both_processes_and_others_still_book(
    limited_servers: list[str], state: AppState, admin_token: str, api: Api
) -> None:
    slot = (await bookable_slots(api, admin_token, capacity=40, slots_per_day=1))[0]

    async with (
        from_address(limited_servers[0], "127.0.0.3") as bot_a,
        from_address(limited_servers[1], "127.0.0.3") as bot_b,
        probing(limited_servers[0]) as probe_took,
    ):
        bots = [bot_a, bot_b]
        responses = await flood(
            30, lambda n: bots[n % 2].post(BOOK, {"i": {"slotId": slot, "citizen": citizen(f"2{n:07d}")}})
        )
    booked = [r for r in responses if r.status_code == 200]
    assert len(booked) == 5
    assert all(r.json()["data"]["book"]["__typename"] == "BookingConfirmation" for r in booked)
    errors = [refusal(r) for r in responses if r.status_code != 200]
    assert len(errors) == 25
    assert {e["extensions"]["bucket"] for e in errors} == {"bookings"}
    # refused attempts count too: the first refusals wait out the 10 minutes, and a bot that keeps going
    # past 20 attempts has spent the day
    waits = sorted(e["extensions"]["retryAfter"] for e in errors)
    assert waits[0] <= 600 < waits[-1] <= 86400
    assert max(probe_took) < 1.0

    async with from_address(limited_servers[1], "127.0.0.4") as neighbour:
        other = await neighbour.run(BOOK, {"i": {"slotId": slot, "citizen": citizen("39999999")}})
    assert other["book"]["__typename"] == "BookingConfirmation"
    async with state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM bookings"))).scalar_one() == 6


async def test_a_flood_of_anonymous_searches_never_throttles_a_kiosk_or_a_desk_at_the_same_address(
    limited_servers: list[str], admin_token: str, api: Api
) -> None:
    front = await front_desk(api, admin_token)
    day = (date.today() + timedelta(days=1)).isoformat()
    async with (
        from_address(limited_servers[0], "127.0.0.5") as flood_a,
        from_address(limited_servers[1], "127.0.0.5") as flood_b,
        probing(limited_servers[1]) as probe_took,
    ):
        floods = [flood_a, flood_b]
        responses = await flood(
            140, lambda n: floods[n % 2].post(SEARCH, {"s": front.services["dni"], "o": front.office_id, "d": day})
        )
        # the office's kiosk and desk share the address (one NAT) and are refused nothing, on either process
        for n in range(3):
            front.api = floods[n % 2]
            assert (await front.issue())["__typename"] == "Ticket"
            called = await front.call()
            assert called["__typename"] == "Ticket", called
            assert (await front.move("startService", called["id"]))["__typename"] == "Ticket"
            assert (await front.move("completeTicket", called["id"]))["__typename"] == "Ticket"
        still_refused = await flood_a.post(SEARCH, {"s": front.services["dni"], "o": front.office_id, "d": day})
    assert sum(r.status_code == 200 for r in responses) == 120  # TURNERO_RATE_SEARCHES: 120 a minute
    assert {refusal(r)["extensions"]["bucket"] for r in responses if r.status_code != 200} == {"searches"}
    refusal(still_refused)
    assert max(probe_took) < 1.0


async def test_a_partner_gets_the_budget_an_admin_set_and_is_refused_with_retry_after_when_spent(
    limited_servers: list[str], admin_token: str, api: Api, settings: Settings
) -> None:
    issue = """mutation($p: String!) { issuePartnerKey(partner: $p, name: "k") { ... on PartnerKey { token } } }"""
    tiny = (await api.run(issue, {"p": "tiny"}, admin_token))["issuePartnerKey"]["token"]
    portal = (await api.run(issue, {"p": "portal"}, admin_token))["issuePartnerKey"]["token"]
    limit = """mutation($p: String!, $c: Int) { setPartnerRateLimit(partner: $p, costPerSecond: $c) {
        __typename ... on PartnerRateLimit { partner costPerSecond isDefault } ... on UserError { code } } }"""

    assert (await api.run(limit, {"p": "tiny", "c": 1}, admin_token))["setPartnerRateLimit"] == {
        "__typename": "PartnerRateLimit",
        "partner": "tiny",
        "costPerSecond": 1,
        "isDefault": False,
    }
    # back to the default of the process that answered (the suite's own, in this test's process)
    assert (await api.run(limit, {"p": "portal", "c": None}, admin_token))["setPartnerRateLimit"][
        "costPerSecond"
    ] == settings.rate_partner_cost_per_second
    refused = [
        (await api.run(limit, {"p": "tiny", "c": 0}, admin_token))["setPartnerRateLimit"],
        (await api.run(limit, {"p": "nobody", "c": 5}, admin_token))["setPartnerRateLimit"],
        (await api.run(limit, {"p": "tiny", "c": 5000}))["setPartnerRateLimit"],
    ]
    assert [r["__typename"] for r in refused] == ["ValidationError", "NotFound", "NotAllowed"]

    query = "{ me { username } }"
    async with (
        from_address(limited_servers[0], "127.0.0.6") as first,
        from_address(limited_servers[1], "127.0.0.6") as second,
    ):
        clients = [first, second]
        answers = [await clients[n % 2].post(query, token=tiny) for n in range(80)]
        portal_answers = [await clients[n % 2].post(query, token=portal) for n in range(80)]

    passed = [a for a in answers if a.status_code == 200]
    cost = passed[0].json()["extensions"]["cost"]
    assert cost["limit"] == 60  # 1 point a second, a bucket of TURNERO_RATE_COST_WINDOW_SECONDS (60)
    assert cost["remaining"] == 60 - cost.get("requested", 1)
    assert len(passed) <= 60 < len(answers)  # shared by both processes
    assert answers.index(next(a for a in answers if a.status_code != 200)) == len(passed), [
        (a.status_code, a.text[:300]) for a in answers[:3]
    ]
    assert refusal(answers[-1])["extensions"]["bucket"] == "cost"
    assert all(a.status_code == 200 for a in portal_answers)
    assert portal_answers[-1].json()["extensions"]["cost"]["limit"] == 60_000


async def test_the_limiter_reads_back_through_the_packages_own_api(settings: Settings) -> None:
    """The pipeline uses the `limits` package's scripts and key layout; its public API must agree."""
    assert settings.redis_url
    windows = RedisWindows(settings.redis_url, 0.5)
    cost, bookings = RateLimitItemPerSecond(100, 10), parse_many("5/10 minutes")[0]
    try:
        for _ in range(3):
            verdicts = await windows.charge(
                [Charge(cost, "cost/t", 30, Window.SMOOTH), Charge(bookings, "bookings/t", 2, Window.EXACT)]
            )
        smooth = await SlidingWindowCounterRateLimiter(windows.storage).get_window_stats(cost, "cost/t")
        exact = await MovingWindowRateLimiter(windows.storage).get_window_stats(bookings, "bookings/t")
    finally:
        await windows.close()
    assert [v.allowed for v in verdicts] == [True, False]
    assert (verdicts[0].remaining, smooth.remaining) == (10, 10)
    assert (verdicts[1].remaining, exact.remaining) == (1, 1)
    assert 599 <= verdicts[1].retry_after <= 600


def test_retry_after_follows_the_sliding_window_as_it_decays() -> None:
    # 90 of 100 in the current window, 20 s left of its life (10 as current, then 10 decaying): 30 more fit
    # once 90 * t / 10 <= 70, after 10 + 10 - 7.8 s
    assert smooth_retry_after(100, 10, 30, 0, 0, 90, 20) == 13
    # the previous window alone holds 80 with 5 s left: 30 fit once 80 * t / 10 <= 70 - 0
    assert smooth_retry_after(100, 10, 30, 80, 5, 0, 15) == 1
    assert smooth_retry_after(100, 10, 30, 100, 10, 0, 20) == 3


async def test_without_redis_tokens_pass_uncounted_and_addresses_are_counted_in_the_process(
    settings: Settings,
) -> None:
    away = settings.model_copy(
        update={
            "redis_url": "redis://127.0.0.1:1/0",
            "rate_anonymous_cost_per_second": 1,
            "rate_cost_window_seconds": 3,
        }
    )
    limiter = RateLimiter(away)
    kiosk = Viewer(device_id=7)
    try:
        anonymous = [await limiter.check(ANONYMOUS, "192.0.2.1", 1, {}) for _ in range(4)]
        trusted = [await limiter.check(kiosk, "192.0.2.1", 1000, {}) for _ in range(4)]
    finally:
        await limiter.close()
    assert [d.allowed for d in anonymous] == [True, True, True, False]
    assert anonymous[-1].retry_after >= 1
    assert anonymous[-1].refused == "cost"
    assert all(d.allowed and d.cost_remaining is None for d in trusted)


async def test_a_spent_address_is_refused_over_http_and_websockets_and_a_trusted_proxy_names_it(
    tight_server: str,
) -> None:
    """Behind a proxy (127.0.0.1 is FORWARDED_ALLOW_IPS by default) the caller is the X-Forwarded-For address;
    an untrusted peer's X-Forwarded-For is ignored."""
    spent = {"X-Forwarded-For": "198.51.100.9"}
    async with httpx.AsyncClient(base_url=tight_server, timeout=30) as proxy:
        answers = [await proxy.post("/graphql", json=PROBE, headers=spent) for _ in range(61)]
        other = await proxy.post("/graphql", json=PROBE, headers={"X-Forwarded-For": "198.51.100.10"})
    async with from_address(tight_server, "127.0.0.3") as stranger:
        claimed = await stranger.client.post("/graphql", json=PROBE, headers=spent)
    async with connect(
        websocket_url(tight_server), subprotocols=[Subprotocol("graphql-transport-ws")], additional_headers=spent
    ) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await connection.recv())["type"] == "connection_ack"
        screen = Socket(connection)
        await screen.subscribe("t", 'subscription { ticketUpdates(ticketId: "1") { number } }', {})
        refused = await screen.message("t")

    costs = [a.json()["extensions"]["cost"] for a in answers[:60]]
    assert [c["remaining"] for c in costs] == [60 - n for n in range(1, 61)]
    error = refusal(answers[60])
    assert error["extensions"]["bucket"] == "cost"
    assert other.json()["extensions"]["cost"]["remaining"] == 59
    assert claimed.json()["extensions"]["cost"]["remaining"] == 59
    assert error_codes(refused) == ["RATE_LIMITED"]


CYCLIC = "{ offices { services { offices { services { offices { id } } } } } }"


async def test_a_client_repeating_a_refused_costly_query_spends_its_budget_then_is_refused_unparsed(
    limited_servers: list[str], admin_token: str
) -> None:
    """Each QUERY_TOO_COSTLY refusal is charged as the whole budget (10,000 of an anonymous 60,000): the
    seventh attempt is refused by the rate limit, and from then on, for a second, anything anonymous from that
    address is answered 429 by that process before it is parsed (no `extensions.cost`: nothing was costed),
    and only after the second it names, so a script in a loop is slowed to one request a second. A token
    holder at the same address is served throughout."""
    first, second = limited_servers
    async with from_address(first, "127.0.0.41") as attacker, from_address(second, "127.0.0.41") as elsewhere:
        costly = [await attacker.client.post("/graphql", json={"query": CYCLIC}) for _ in range(7)]
        held = time.perf_counter()
        unparsed, cheap = await asyncio.gather(
            attacker.client.post("/graphql", json={"query": CYCLIC}), attacker.client.post("/graphql", json=PROBE)
        )
        held = time.perf_counter() - held
        staff = await attacker.client.post("/graphql", json=PROBE, headers={"Authorization": f"Bearer {admin_token}"})
        other_process = await elsewhere.client.post("/graphql", json=PROBE)
        await asyncio.sleep(1.5)  # the refusal outright lasts a second
        later = await attacker.client.post("/graphql", json=PROBE)

    assert [r.status_code for r in costly[:6]] == [400] * 6
    assert {r.json()["errors"][0]["extensions"]["code"] for r in costly[:6]} == {"QUERY_TOO_COSTLY"}
    assert [r.json()["extensions"]["cost"]["remaining"] // 1000 for r in costly[:6]] == [50, 40, 30, 20, 10, 0]
    assert refusal(costly[6])["extensions"]["bucket"] == "cost"
    assert "cost" in costly[6].json()["extensions"]  # refused by the limiter, after costing
    for answer in (unparsed, cheap):
        assert refusal(answer)["extensions"]["bucket"] == "cost"
        assert "extensions" not in answer.json()  # refused before parsing
    assert held >= 1
    assert staff.json()["data"] == {"__typename": "Query"}
    # the bucket stays spent for most of its window: the other process, which has not refused the address
    # itself, and this one once its second has passed, ask the limiter again, which refuses after costing
    for answer in (other_process, later):
        assert refusal(answer)["extensions"]["bucket"] == "cost"
        assert answer.json()["extensions"]["cost"]["remaining"] == 0


async def test_cheap_charges_of_a_caller_far_from_its_limit_reach_redis_in_batches(
    limited_servers: list[str], settings: Settings
) -> None:
    """Requests of an address with most of its bucket left are counted in the process and sent to Redis
    together (TURNERO_RATE_COST_BATCH_SECONDS): after a flush, Redis holds every one of them, from both
    processes."""
    async with from_address(limited_servers[0], "127.0.0.42") as a, from_address(limited_servers[1], "127.0.0.42") as b:
        answers = [await (a if n % 2 else b).client.post("/graphql", json=PROBE) for n in range(40)]
    assert all(answer.json()["data"] == {"__typename": "Query"} for answer in answers)
    await asyncio.sleep(0.6)  # two flush intervals and then some
    assert settings.redis_url
    windows = RedisWindows(settings.redis_url, 0.5)
    item = RateLimitItemPerSecond(1000 * 60, 60)  # the default anonymous bucket
    try:
        stats = await SlidingWindowCounterRateLimiter(windows.storage).get_window_stats(item, "cost/address:127.0.0.42")
    finally:
        await windows.close()
    # a new address's window has not rolled over within the test: its count is exactly what was charged
    assert item.amount - stats.remaining == 40


async def test_sign_in_attempts_are_counted_per_address_before_any_password_is_checked(tight_server: str) -> None:
    login = """mutation { login(username: "nobody", password: "wrong guess") { __typename } }"""
    async with httpx.AsyncClient(base_url=tight_server, timeout=30) as proxy:
        sprayer = [
            await proxy.post("/graphql", json={"query": login}, headers={"X-Forwarded-For": "198.51.100.20"})
            for _ in range(4)
        ]
        elsewhere = await proxy.post("/graphql", json={"query": login}, headers={"X-Forwarded-For": "198.51.100.21"})
    assert [r.json()["data"]["login"]["__typename"] for r in sprayer[:3]] == ["NotAllowed"] * 3
    assert refusal(sprayer[3])["extensions"]["bucket"] == "login"
    assert elsewhere.json()["data"]["login"]["__typename"] == "NotAllowed"


def test_root_fields_are_counted_through_aliases_and_fragments() -> None:
    document = parse(
        "query Q { availability } mutation M { a: book b: book ...F ... on Mutation { cancelBooking } }"
        " fragment F on Mutation { book ...F }"
    )
    assert root_field_counts(document, "M") == {"book": 3, "cancelBooking": 1}
    assert root_field_counts(document, "Q") == {"availability": 1}


def test_token_holders_have_buckets_of_their_own_and_no_per_address_ones_but_login(settings: Settings) -> None:
    policy = RatePolicy(settings.model_copy(update={"rate_partner_cost_per_second": 7}))
    fields = {"book": 2, "availability": 1, "login": 1}
    partner = policy.caller(Viewer(partner_id=3, partner_cost_per_second=50), "192.0.2.1")
    kiosk = policy.caller(Viewer(device_id=4), "192.0.2.1")
    citizen = policy.caller(ANONYMOUS, "192.0.2.1")

    assert (partner.identity, partner.cost_per_second) == ("partner:3", 50)
    assert policy.caller(Viewer(partner_id=3), "192.0.2.1").cost_per_second == 7
    assert [name for name, _ in policy.charges(kiosk, "192.0.2.1", 10, fields)] == ["cost", "login"]
    charged = {(name, c.identity, c.amount) for name, c in policy.charges(citizen, "192.0.2.1", 10, fields)}
    assert ("bookings", "bookings/192.0.2.1", 2) in charged
    assert ("searches", "searches/192.0.2.1", 1) in charged
    assert ("cost", "cost/address:192.0.2.1", 10) in charged
