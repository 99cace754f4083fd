"""Shared by the benchmarks: a seeded demo database, a real `serve` process, and a closed-loop HTTP load."""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.embedded import embedded_postgres_url, embedded_redis_url  # noqa: E402
from tests.support.processes import environment, free_port, main_py, status, wait_for  # noqa: E402

# its own name per checkout when several branches (with different migrations) bench on one server
BENCH_DATABASE = os.environ.get("TURNERO_BENCH_DATABASE", "turnero_bench")


def bench_servers(database: str = BENCH_DATABASE) -> tuple[str, str]:
    """The bench's own database on DATABASE_URL's server (else the embedded one), and Redis."""
    data_dir = Path(os.environ.get("TURNERO_DATA_DIR", ROOT / "var"))
    base = os.environ.get("DATABASE_URL") or embedded_postgres_url(data_dir)
    redis_url = os.environ.get("REDIS_URL") or embedded_redis_url(data_dir)

    async def ensure() -> None:
        conn = await asyncpg.connect(make_url(base).render_as_string(hide_password=False))
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await conn.execute(f"CREATE DATABASE {database}")
        finally:
            await conn.close()

    asyncio.run(ensure())
    return make_url(base).set(database=database).render_as_string(hide_password=False), redis_url


def seed(env: dict[str, str], *extra: str, timeout: float | None = None) -> str:
    """`main.py seed --demo` (plus `extra` arguments); its output, where the demo's passwords are."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "main.py", "seed", "--demo", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    print(f"seeded in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return result.stdout


@contextmanager
def server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    with server_process(env, workers) as (base, _):
        yield base


@contextmanager
def server_process(
    env: dict[str, str], workers: int = 1, log_name: str = "bench-serve.log"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python main.py serve` on a free port, once ready: its base URL and its process."""
    (ROOT / "var" / log_name).write_text("")
    base, process = start_server(env, free_port(), workers, log_name)
    try:
        yield base, process
    finally:
        stop_process(process)


def start_server(
    env: dict[str, str], port: int, workers: int = 1, log_name: str = "bench-serve.log"
) -> tuple[str, subprocess.Popen[bytes]]:
    """`python main.py serve` on `port`, once ready (a restart can take the port its clients know)."""
    log = (ROOT / "var" / log_name).open("a")  # the server's own account, for when a run fails
    process = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: status(f"{base}/health/ready") == 200, 60, "serve")
    except BaseException:
        stop_process(process)
        raise
    return base, process


def stop_process(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    """Terminated, and killed if it has not ended within `grace` seconds (a server still working through
    requests that will never finish, for one)."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def with_admin(env: dict[str, str], username: str) -> str:
    """The bench database migrated, and an administrator `username` with a new password: the password."""
    migrated = main_py("migrate", env=env)
    if migrated.returncode != 0:
        raise SystemExit(migrated.stderr)
    password = secrets.token_urlsafe(24)
    created = main_py("create-admin", username, env=env | {"TURNERO_ADMIN_PASSWORD": password})
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    return password


def bench_environment(database: str = BENCH_DATABASE) -> dict[str, str]:
    database_url, redis_url = bench_servers(database)
    return environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TURNERO_DATA_DIR=os.environ.get("TURNERO_DATA_DIR", str(ROOT / "var")),
    )


async def load(
    base: str,
    make_request: Callable[[int], dict[str, Any]],
    *,
    concurrency: int,
    seconds: float,
    check: Callable[[dict[str, Any]], None],
) -> dict[str, float]:
    """Closed loop: `concurrency` clients send requests back to back for `seconds`; latency in ms."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(number: int) -> None:
            sent = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.post("/graphql", json=make_request(number * 1_000_003 + sent))
                latencies.append((time.perf_counter() - started) * 1000)
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    raise RuntimeError(f"request failed: {response.status_code} {body}")
                check(body["data"])
                sent += 1

        began = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """Of values sorted ascending: the one `fraction` of the way up (0.99: the p99)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def run(main: Callable[[], Coroutine[Any, Any, dict[str, Any]]]) -> dict[str, Any]:
    return asyncio.run(main())


OFFICES = "{ offices { id } }"
OFFICE_SERVICES = "query($o: ID!) { office(id: $o) { services { id } } }"


def offerings(base: str) -> list[tuple[str, str]]:
    """Every (office, service) the city offers: office by office, as a client under the cost budget asks
    (`offices { services }` at once multiplies the most offices by the most procedures an office offers)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        offices = client.post("/graphql", json={"query": OFFICES}).json()["data"]["offices"]
        pairs: list[tuple[str, str]] = []
        for office in offices:
            body = client.post("/graphql", json={"query": OFFICE_SERVICES, "variables": {"o": office["id"]}}).json()
            pairs.extend((office["id"], service["id"]) for service in body["data"]["office"]["services"])
        return pairs
