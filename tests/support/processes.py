"""Starting Turnero's own processes for tests, as an operator would."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# The suite books, searches and signs in a lot from one address: its processes get generous rate limits
# (the defaults are tested in tests/protections/test_rate_limits.py, which passes its own).
GENEROUS_RATES: dict[str, Any] = {
    # the suite's own documents check relations through nested lists far over the default cost budget
    # (tests/conftest.py raises TURNERO_MAX_QUERY_COST too): no caller's bucket may be smaller than they cost
    "TURNERO_RATE_ANONYMOUS_COST_PER_SECOND": "1000000000000",
    "TURNERO_RATE_STAFF_COST_PER_SECOND": "1000000000000",
    "TURNERO_RATE_DEVICE_COST_PER_SECOND": "1000000000000",
    "TURNERO_RATE_PARTNER_COST_PER_SECOND": "1000000000",  # an Int in setPartnerRateLimit's answer
    "TURNERO_RATE_LOGIN": "10000/minute",
    "TURNERO_RATE_BOOKINGS": "10000/minute",
    "TURNERO_RATE_SEARCHES": "10000/minute",
    # services are ADAPTIVE by default: the suite's anonymous bookings from one address never need a challenge
    # (tests/protections/test_challenge.py tests the default allowance and the policies with a server of its own)
    "TURNERO_CHALLENGE_FREE_BOOKINGS": "1000000",
    # a cancelled seat nobody waits for shows again at once, as the suite's booking tests expect
    # (tests/waitlist/test_offers.py tests the re-release delay with servers of its own)
    "TURNERO_RERELEASE_DELAY_MINUTES": "0",
}


def environment(**values: str | None) -> dict[str, str]:
    env = dict(GENEROUS_RATES)
    env.update({k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "TURNERO_DATA_DIR"}})
    env.update({k: v for k, v in values.items() if v is not None})
    return env


def suite_environment(settings: Settings, **values: str | None) -> dict[str, str]:
    """The environment of a process on the suite's own database, Redis, data directory and key; `values` may
    replace any of them (e.g. an embedded Redis of the test's own)."""
    own: dict[str, str | None] = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "TURNERO_DATA_DIR": str(settings.data_dir),
        "TURNERO_SECRET_KEY": settings.secret_key.decode(),
        # the suite's storms (thirty argon2 checks, hundreds of bookings) share two cores with the other test
        # worker: an operation may queue past the default 10 s here without anything being wrong; the budget
        # itself is tested with its own setting (tests/protections/test_execution_budget.py)
        "TURNERO_OPERATION_TIMEOUT_SECONDS": "60",
    }
    return environment(**(own | values))


def main_py(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=3).status_code
    except httpx.HTTPError:
        return None


@contextmanager
def serving(env: dict[str, str], *extra: str, port: int | None = None, output: IO[str] | None = None) -> Iterator[str]:
    """`python main.py serve` on a free port (or on `port`: a restart at the same address); yields its base URL
    once it is ready. With `output`, everything it writes, on both streams, goes there."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL if output is None else output,
        stderr=subprocess.PIPE if output is None else subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: status(f"{base}/health/ready") == 200 or process.poll() is not None, 60, "serve")
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield base
    finally:
        stop(process, 15)


def stop(process: subprocess.Popen[str], timeout: float) -> None:
    """SIGTERM, and SIGKILL if it has not exited after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


async def at_once(
    servers: list[str], bodies: list[dict[str, Any]], token: str | None = None, addresses: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every request at the same moment, alternating between the servers, each on its own connection: the
    data of each answer's one root field. `addresses`: each request's client address, as a trusted proxy
    (127.0.0.1) says it in X-Forwarded-For."""
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        gate = asyncio.Event()

        async def send(number: int, body: dict[str, Any]) -> dict[str, Any]:
            await gate.wait()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if addresses is not None:
                headers["X-Forwarded-For"] = addresses[number]
            response = await client.post(f"{servers[number % len(servers)]}/graphql", json=body, headers=headers)
            assert response.status_code == 200, response.text
            payload: dict[str, Any] = response.json()
            assert "errors" not in payload, payload
            return next(iter(payload["data"].values()))

        tasks = [asyncio.create_task(send(n, body)) for n, body in enumerate(bodies)]
        await asyncio.sleep(0.2)
        gate.set()
        return await asyncio.gather(*tasks)
