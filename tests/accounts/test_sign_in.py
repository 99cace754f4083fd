"""Sign-in under a password sprayer, through real `serve` processes: argon2 stalls nothing, a burst gets no more
guesses than the limit, and a stranger's failures never lock the owner out."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from core.runtime import AppState
from core.settings import Settings
from resolvers.accounts.staff import ensure_admin
from resolvers.accounts.throttle import failures
from tests.support.api import Api
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

OWNER = "owner"
OWNER_PASSWORD = "quiet lantern orchard 1987"
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
    __typename ... on Session { token } ... on UserError { code message } } }"""


@pytest.fixture(scope="module")
def small_pool_server(settings: Settings) -> Iterator[str]:
    """`serve` with one pooled database connection (and one more in overflow): a sign-in that held a connection
    while argon2 ran would leave every other request of the process waiting."""
    with serving(suite_environment(settings, TURNERO_DB_POOL_SIZE="1")) as base:
        yield base


@pytest.fixture
async def owner(state: AppState) -> str:
    async with state.engine.begin() as conn:
        await ensure_admin(conn, OWNER, OWNER_PASSWORD)
    return OWNER


@asynccontextmanager
async def client_from(address: str, connections: int = 10) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests leave from `address` (all of 127.0.0.0/8 is this machine): another caller."""
    transport = httpx.AsyncHTTPTransport(
        local_address=address, limits=httpx.Limits(max_connections=connections, max_keepalive_connections=0)
    )
    async with httpx.AsyncClient(transport=transport, timeout=60) as client:
        yield client


async def login(client: httpx.AsyncClient, base: str, username: str, password: str) -> dict[str, Any]:
    response = await client.post(f"{base}/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["login"]
    return result


async def burst(bases: str | list[str], address: str, attempts: list[tuple[str, str]]) -> Counter[str]:
    """Every attempt at the same moment from `address`, each on its own connection, spread over the `bases`
    (serve processes) in turn: the answers' typenames."""
    servers = [bases] if isinstance(bases, str) else bases
    async with client_from(address, connections=len(attempts)) as client:
        gate = asyncio.Event()

        async def attempt(base: str, username: str, password: str) -> str:
            await gate.wait()
            return str((await login(client, base, username, password))["__typename"])

        tasks = [asyncio.create_task(attempt(servers[n % len(servers)], u, p)) for n, (u, p) in enumerate(attempts)]
        await asyncio.sleep(0.2)
        gate.set()
        return Counter(await asyncio.gather(*tasks))


async def test_thirty_wrong_passwords_at_once_stall_nothing_else(small_pool_server: str, owner: str) -> None:
    base = small_pool_server
    async with AsyncExitStack() as stack:
        probe = await stack.enter_async_context(client_from("127.0.0.2"))
        # thirty addresses, so that every guess is really verified (none is throttled before argon2); the clients
        # are made first, so that only the server's time is measured
        guessers = [await stack.enter_async_context(client_from(f"127.0.0.{10 + n}")) for n in range(30)]
        for query in ("{ __typename }", "{ offices { id } }"):  # connected and warm before the storm
            await probe.post(f"{base}/graphql", json={"query": query})

        async def guess(number: int) -> str:
            return str((await login(guessers[number], base, owner, f"wrong guess number {number}"))["__typename"])

        storm = asyncio.gather(*(guess(n) for n in range(30)))
        waits: list[float] = []
        while not storm.done() or not waits:
            # each request answers within the second the issue allows: the trivial one, and one that needs a
            # pooled connection
            for query in ("{ __typename }", "{ offices { id } }"):
                started = time.monotonic()
                response = await probe.post(f"{base}/graphql", json={"query": query}, timeout=10)
                waits.append(time.monotonic() - started)
                assert response.status_code == 200, response.text
            await asyncio.sleep(0.05)
        answers = await storm

    assert answers == ["NotAllowed"] * 30
    assert len(waits) >= 6, "the probe must have run while the sign-ins were under way"
    assert max(waits) < 1.0, waits


async def test_a_burst_of_guesses_gets_no_more_checks_than_the_limit(
    two_servers: list[str], owner: str, state: AppState
) -> None:
    # half of the guesses to each of two processes: the count lives in Redis, so they share one limit
    answers = await burst(two_servers, "127.0.0.5", [(owner, f"guess {n}") for n in range(100)])

    # NotAllowed is answered only after argon2 said no; LimitExceeded before it runs
    assert answers == Counter({"NotAllowed": 5, "LimitExceeded": 95})
    assert await failures(state.redis, owner, "127.0.0.5") == (5, 5)


async def test_a_stranger_cannot_lock_the_owner_out(one_server: str, owner: str) -> None:
    async with client_from("127.0.0.6") as stranger:
        tries = [(await login(stranger, one_server, owner, f"guess {n}"))["__typename"] for n in range(7)]
        still_locked = await login(stranger, one_server, owner, OWNER_PASSWORD)
    async with client_from("127.0.0.7") as office:
        signed_in = await login(office, one_server, owner, OWNER_PASSWORD)

    assert tries == ["NotAllowed"] * 5 + ["LimitExceeded"] * 2
    assert still_locked["__typename"] == "LimitExceeded"
    assert signed_in["__typename"] == "Session"


async def test_one_address_spraying_many_usernames_is_stopped_too(one_server: str, owner: str) -> None:
    # unknown usernames cost the same as wrong passwords, and count the same
    answers = await burst(one_server, "127.0.0.8", [(f"user{n}", "Password123!") for n in range(40)])
    async with client_from("127.0.0.8") as sprayer, client_from("127.0.0.9") as office:
        from_sprayer = await login(sprayer, one_server, owner, OWNER_PASSWORD)
        from_office = await login(office, one_server, owner, OWNER_PASSWORD)

    assert answers == Counter({"NotAllowed": 30, "LimitExceeded": 10})
    assert from_sprayer["__typename"] == "LimitExceeded"
    assert from_office["__typename"] == "Session"


async def test_success_clears_the_owners_count_not_the_addresss(one_server: str, owner: str, state: AppState) -> None:
    async with client_from("127.0.0.11") as client:
        for number in range(3):
            await login(client, one_server, f"someone{number}", "not the password")
        await login(client, one_server, owner, "not the password")
        assert await failures(state.redis, owner, "127.0.0.11") == (1, 4)
        assert (await login(client, one_server, owner, OWNER_PASSWORD))["__typename"] == "Session"

    # one valid account does not wipe out the address's record of failures with other usernames
    assert await failures(state.redis, owner, "127.0.0.11") == (0, 4)


async def test_weak_passwords_are_refused_naming_the_field_and_why(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token)

    async def create(username: str, password: str) -> dict[str, Any]:
        data = await api.run(
            """mutation($i: StaffInput!) { createStaff(input: $i) { __typename
                ... on ValidationError { field message } } }""",
            {"i": {"username": username, "password": password, "roles": [{"role": "CLERK", "officeId": office_id}]}},
            admin_token,
        )
        result: dict[str, Any] = data["createStaff"]
        return result

    short = await create("clerk.one", "Xk9#pQ2!")
    common = await create("clerk.one", "password1234")
    own_name = await create("maria.gomez", "maria.gomez2026")
    keyboard = await create("clerk.one", "qwertyuiop1234")
    strong = await create("clerk.one", "tundra violin pepper 42")

    assert short == {"__typename": "ValidationError", "field": "password", "message": short["message"]}
    assert "12" in short["message"]
    for refused in (common, own_name, keyboard):
        assert refused["__typename"] == "ValidationError", refused
        assert refused["field"] == "password"
        assert refused["message"].startswith("password is too weak")
    assert strong == {"__typename": "StaffUser"}


async def test_create_admin_refuses_a_weak_password(state: AppState) -> None:
    from core.errors import ValidationFailed

    async with state.engine.begin() as conn:
        with pytest.raises(ValidationFailed) as refused:
            await ensure_admin(conn, "chief", "chief1234567")

    assert refused.value.field == "password"
