"""A release burst: N clients book 500 slots of the demo city at once, beside pgbench doing the same SQL.

    .venv/bin/python -m bench.booking [--clients 64] [--slots 500] [--attempts-per-seat 3]

Every attempt is a different citizen, on a random one of the 500 slots, so the burst runs past the
point where the slots are full, as a real release does. The same burst is then run by pgbench against
the same database: the conditional UPDATE that takes a seat plus the INSERT of the booking, in one
transaction. Also, on the same `serve` process before the burst, the trivial query `{ __typename }`
closed-loop at the same concurrency. Prints JSON: bookings/s and attempts/s, p50/p99 latency, double
bookings found afterwards (must be 0), the API's attempts/s as a ratio of pgbench's, what a booking
attempt costs in trivial queries (the trivial query's requests/s ÷ the attempts/s), and the trivial query's
requests/s as a ratio of pgbench's: the ceiling of the API's ratio, were a booking as cheap as `{ __typename }`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.common import bench_environment, load, seed, server
from core.embedded import _postgres_bin

BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename ... on BookingConfirmation { booking { id } } } }"""

RESET = """
    DELETE FROM booking_events; DELETE FROM outbox; DELETE FROM idempotency_keys; DELETE FROM bookings;
    UPDATE slots SET booked = 0 WHERE booked > 0;
    DROP TABLE IF EXISTS bench_slots; DROP TABLE IF EXISTS bench_pgbench_bookings;
"""

DOUBLE_BOOKINGS = """
    SELECT (SELECT count(*) FROM slots WHERE booked > capacity)
         + (SELECT count(*) FROM slots sl JOIN (SELECT slot_id, count(*) AS n FROM bookings WHERE status = 'BOOKED'
                                                GROUP BY slot_id) b ON b.slot_id = sl.id
            WHERE b.n > sl.capacity OR b.n <> sl.booked)
"""

PGBENCH_SCRIPT = """\\set n random(1, {slots})
WITH taken AS (
    UPDATE slots SET booked = booked + 1
    WHERE id = (SELECT slot_id FROM bench_slots WHERE n = :n) AND booked < capacity
    RETURNING id)
INSERT INTO bench_pgbench_bookings (slot_id) SELECT id FROM taken;
"""


def dsn(url: str) -> str:
    return make_url(url).render_as_string(hide_password=False)


async def prepare(url: str, slots: int) -> tuple[list[int], int]:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(RESET)
        await conn.execute("SELECT setseed(0.42)")
        rows = await conn.fetch(
            """SELECT sl.id, sl.capacity FROM slots sl JOIN services s ON s.id = sl.service_id
               WHERE NOT sl.closed AND sl.starts_at > now() + interval '1 day'
                 AND sl.starts_at < now() + make_interval(days => s.booking_window_days)
               ORDER BY random() LIMIT $1""",
            slots,
        )
        await conn.execute("CREATE TABLE bench_slots (n serial PRIMARY KEY, slot_id bigint NOT NULL)")
        await conn.executemany("INSERT INTO bench_slots (slot_id) VALUES ($1)", [(row["id"],) for row in rows])
        await conn.execute(
            "CREATE TABLE bench_pgbench_bookings (id bigserial PRIMARY KEY, slot_id bigint NOT NULL,"
            " at timestamptz NOT NULL DEFAULT now())"
        )
        return [row["id"] for row in rows], sum(row["capacity"] for row in rows)
    finally:
        await conn.close()


async def api_burst(base: str, slot_ids: list[int], clients: int, attempts: int) -> dict[str, Any]:
    rng = random.Random(42)
    plan = [[rng.choice(slot_ids) for _ in range(attempts // clients)] for _ in range(clients)]
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one_client(number: int, targets: list[int]) -> None:
            for attempt, slot_id in enumerate(targets):
                body = {
                    "query": BOOK,
                    "variables": {
                        "i": {
                            "slotId": str(slot_id),
                            "citizen": {"name": f"Bench {number}", "documentId": f"{number:04d}{attempt:06d}"},
                        }
                    },
                }
                started = time.perf_counter()
                response = await client.post("/graphql", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                kind = response.json()["data"]["book"]["__typename"]
                outcomes[kind] = outcomes.get(kind, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client(n, targets) for n, targets in enumerate(plan)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    booked = outcomes.get("BookingConfirmation", 0)
    return {
        "attempts": len(ordered),
        "bookings": booked,
        "outcomes": outcomes,
        "seconds": round(elapsed, 2),
        "attempts_per_s": round(len(ordered) / elapsed, 1),
        "bookings_per_s": round(booked / elapsed, 1),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)], 2),
    }


async def trivial_load(base: str, clients: int, seconds: float) -> dict[str, float]:
    """`{ __typename }` back to back from `clients` clients: what the API answers when an operation costs nothing."""

    def check(data: dict[str, Any]) -> None:
        assert data["__typename"] == "Query", data

    return await load(base, lambda _: {"query": "{ __typename }"}, concurrency=clients, seconds=seconds, check=check)


def pgbench(url: str, slots: int, clients: int, attempts: int) -> dict[str, Any]:
    parsed = make_url(url)
    host = str(parsed.query.get("host") or parsed.host or "127.0.0.1")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(slots=slots))
    command = [
        str(_postgres_bin() / "pgbench"),
        "-n",
        "-f",
        script.name,
        "-c",
        str(clients),
        "-j",
        "2",
        "-t",
        str(attempts // clients),
        "-h",
        host,
        "-U",
        parsed.username or "postgres",
        "-p",
        str(parsed.port or 5432),
        parsed.database or "postgres",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    Path(script.name).unlink()
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", result.stdout).group(1))  # type: ignore[union-attr]
    return {"attempts_per_s": round(tps, 1), "latency_average_ms": latency}


async def count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn(url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--slots", type=int, default=500)
    parser.add_argument("--attempts-per-seat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the one serve process")
    parser.add_argument("--trivial-seconds", type=float, default=5, help="the trivial query's closed loop")
    args = parser.parse_args()
    env = bench_environment()
    url = env["DATABASE_URL"]
    seed(env)
    slot_ids, seats = asyncio.run(prepare(url, args.slots))
    attempts = seats * args.attempts_per_seat
    with server(env, workers=args.workers) as base:
        trivial = asyncio.run(trivial_load(base, args.clients, args.trivial_seconds))
        api = asyncio.run(api_burst(base, slot_ids, args.clients, attempts))
    double_bookings = asyncio.run(count(url, DOUBLE_BOOKINGS))
    asyncio.run(count(url, "UPDATE slots SET booked = 0 WHERE id IN (SELECT slot_id FROM bench_slots) RETURNING 1"))
    sql = pgbench(url, len(slot_ids), args.clients, attempts)
    sql["bookings"] = asyncio.run(count(url, "SELECT count(*) FROM bench_pgbench_bookings"))
    report = {
        "benchmark": "booking release burst",
        "clients": args.clients,
        "slots": len(slot_ids),
        "seats": seats,
        "attempts": attempts,
        "serve_workers": args.workers,
        "api": api,
        "double_bookings": double_bookings,
        "pgbench_same_sql": sql,
        "api_attempts_per_s_vs_pgbench": round(api["attempts_per_s"] / sql["attempts_per_s"], 3),
        "api_trivial_query": trivial,
        "attempt_cost_in_trivial_queries": round(trivial["requests_per_s"] / api["attempts_per_s"], 2),
        # the ceiling of the ratio above on this process: were an attempt as cheap as `{ __typename }`
        "api_trivial_query_vs_pgbench": round(trivial["requests_per_s"] / sql["attempts_per_s"], 3),
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
