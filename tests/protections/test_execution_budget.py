"""The execution budget, through a real `serve`: operations past TURNERO_OPERATION_TIMEOUT_SECONDS are cancelled
with their database statement, a caller who hangs up cancels its operation, oversized bodies, query texts and
variables are refused, and none of it slows a caller from another address.

The slow operation is an honest one: `offices` while another transaction holds the table's ACCESS EXCLUSIVE
lock (as a long migration would), so its SELECT waits in PostgreSQL until something cancels it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

TIMEOUT_SECONDS = 3
OFFICES = {"query": "{ offices { id } }"}
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    env = suite_environment(settings, TURNERO_OPERATION_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS))
    with serving(env) as base:
        yield base


@asynccontextmanager
async def offices_locked(state: AppState) -> AsyncIterator[None]:
    async with state.engine.begin() as conn:
        await conn.execute(text("LOCK TABLE offices IN ACCESS EXCLUSIVE MODE"))
        yield


async def waiting_statements(state: AppState) -> int:
    """Backends of `serve` (application_name turnero) waiting for a lock in the test database."""
    async with state.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'turnero' AND wait_event_type = 'Lock'"
            )
        )
        return int(found.scalar_one())


async def until(predicate: Callable[[], Awaitable[bool]], within: float) -> float:
    """Seconds it took for the predicate to hold; fails after `within` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await predicate():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within} s")


# a resolver's own statement, and one a dataloader runs in a batch task of its own
@pytest.mark.parametrize("body", [OFFICES, {"query": '{ office(id: "1") { name } }'}], ids=["resolver", "dataloader"])
async def test_an_operation_past_its_budget_is_cancelled_with_its_statement(
    server: str, state: AppState, body: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http, offices_locked(state):
        started = time.monotonic()
        pending = asyncio.create_task(http.post("/graphql", json=body))
        await until(lambda: _some_waiting(state), 5)
        answer = await pending
        took = time.monotonic() - started
        # the cancel request reaches PostgreSQL on a connection of its own, as the answer leaves: on a busy machine
        # it may land a moment after; while the lock is still held, a statement left waiting would never go
        await until(lambda: _none_waiting(state), 3)

    assert answer.status_code == 503
    error = answer.json()["errors"][0]
    assert error["extensions"] == {"code": "OPERATION_TIMEOUT", "timeoutSeconds": TIMEOUT_SECONDS}
    assert TIMEOUT_SECONDS <= took < TIMEOUT_SECONDS + 2

    # the cancelled connection went back to the pool clean (or was replaced): more queries than the pool holds
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        answers = [await http.post("/graphql", json=OFFICES) for _ in range(2 * state.settings.db_pool_size + 2)]
    assert {a.status_code for a in answers} == {200}
    assert all(a.json()["data"] == {"offices": []} for a in answers)


async def _some_waiting(state: AppState) -> bool:
    return await waiting_statements(state) > 0


async def _none_waiting(state: AppState) -> bool:
    """The SELECT was cancelled in PostgreSQL, not left waiting for the lock."""
    return await waiting_statements(state) == 0


async def test_a_client_that_hangs_up_cancels_its_operation(server: str, state: AppState) -> None:
    async with offices_locked(state):
        async with httpx.AsyncClient(base_url=server, timeout=30) as http:
            pending = asyncio.create_task(http.post("/graphql", json=OFFICES))
            await until(lambda: _some_waiting(state), 5)
            pending.cancel()  # closes the connection: the caller is gone
            with pytest.raises(asyncio.CancelledError):
                await pending
        gone_after = await until(lambda: _none_waiting(state), TIMEOUT_SECONDS)

    assert gone_after < TIMEOUT_SECONDS / 2  # the hang-up cancelled it, long before its deadline would have


async def test_others_are_answered_at_once_while_slow_operations_run(server: str, state: AppState) -> None:
    other = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with (
        offices_locked(state),
        httpx.AsyncClient(base_url=server, timeout=30) as slow,
        httpx.AsyncClient(base_url=server, transport=other, timeout=5) as bystander,
    ):
        stuck = [asyncio.create_task(slow.post("/graphql", json=OFFICES)) for _ in range(8)]
        await until(lambda: _all_waiting(state, len(stuck)), 5)
        started = time.monotonic()
        answer = await bystander.post("/graphql", json=TYPENAME)
        took = time.monotonic() - started
        live = await bystander.get("/health/live")
        outcomes = await asyncio.gather(*stuck)

    assert answer.json()["data"] == {"__typename": "Query"}
    assert took < 1
    assert live.status_code == 200
    assert {o.status_code for o in outcomes} == {503}


async def _all_waiting(state: AppState, count: int) -> bool:
    return await waiting_statements(state) >= count


def raw_exchange(server: str, head: bytes, body_chunks: list[bytes]) -> tuple[bytes, float]:
    """Sends a request's head and then what it can of the body, over a plain socket; the first bytes of the
    answer and how long after the head they came."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(head)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed: the rest is never read
        answer = sock.recv(4096)
        took = time.monotonic() - started
        while b"REQUEST_TOO_LARGE" not in answer and (more := sock.recv(4096)):
            answer += more  # the body may come in a packet of its own
        return answer, took


def test_a_body_declared_too_large_is_refused_unread(server: str) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2097152\r\n\r\n"
    )
    answer, took = raw_exchange(server, head, [])  # not one byte of the body is ever sent

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"REQUEST_TOO_LARGE" in answer
    assert took < 1


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server: str) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(24)]  # 1.5 MiB, and the body never ends

    answer, took = raw_exchange(server, head, chunks)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert took < 2


def test_a_2_mb_json_body_gets_413_quickly(server: str) -> None:
    payload = {"query": "query ($n: String) { __typename }", "variables": {"n": "x" * 2_000_000}}
    started = time.monotonic()
    answer = httpx.post(f"{server}/graphql", json=payload, timeout=10)

    assert answer.status_code == 413
    assert answer.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert time.monotonic() - started < 1


def test_overlong_query_texts_and_variables_are_refused(server: str) -> None:
    long_query = "{ __typename " + "# padding\n" * 4000 + "}"  # 40 KB of a valid document
    long_variable = {
        "query": "query ($search: String) { services(search: $search) { id } }",
        "variables": {"search": "a" * 20_000},
    }
    nested = {
        "query": "query ($search: String) { services(search: $search) { id } }",
        "variables": {"deep": [{"x": ["b" * 20_000]}]},
    }
    fine = {"query": long_variable["query"], "variables": {"search": "a" * 100}}

    answers = [
        httpx.post(f"{server}/graphql", json={"query": long_query}, timeout=10),
        *(httpx.post(f"{server}/graphql", json=body, timeout=10) for body in (long_variable, nested)),
    ]
    accepted = httpx.post(f"{server}/graphql", json=fine, timeout=10)

    assert [a.status_code for a in answers] == [413, 413, 413]
    codes = [a.json()["errors"][0]["extensions"]["code"] for a in answers]
    assert codes == ["QUERY_TOO_LARGE", "VARIABLE_TOO_LARGE", "VARIABLE_TOO_LARGE"]
    assert "$search" in answers[1].json()["errors"][0]["message"]
    assert "$deep[0].x[0]" in answers[2].json()["errors"][0]["message"]
    assert accepted.json()["data"] == {"services": []}
