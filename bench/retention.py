"""The nightly retention run over a year of the demo city, and what it costs bookings while it runs.

    .venv/bin/python -m bench.retention [--offices 6] [--days 365] [--clients 16] [--seconds 20]

Builds its own database: the demo city and `--days` of simulated history at the first `--offices` offices
(demo/history.py), every personal column filled in (tests/privacy/history.py: e-mails, phones, hashes, notes,
comments, companions, remote tickets, a waitlist and a draw entry a day). Then, against a real `serve`:

1. before: `--clients` closed-loop clients call `book` on random future slots for `--seconds` (each attempt a
   new citizen; a full slot answers SlotUnavailable, which does the same work);
2. during: the same clients while the nightly run (`jobs/privacy.py anonymise_before`, in a process of its own
   as the worker would run it) anonymises everything past TURNERO_RETENTION_DAYS, until it ends.

3. after: the same load for `--seconds` again, to show how much the pace drifts without the run (a shared
   machine).

Prints JSON: rows anonymised, how long the run took, booking attempts/s before, during and after, and the ratio
during / before (goal >= 0.8).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from sqlalchemy.engine import make_url

from bench.common import ROOT, bench_environment, percentile, seed, server
from core.runtime import open_state
from core.settings import Settings
from demo.city_data import OFFICES
from demo.history import seed_history
from jobs.privacy import anonymise_before
from tests.privacy.history import fill_personal

DATABASE = os.environ.get("TURNERO_BENCH_DATABASE", "turnero_bench") + "_retention"
BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename } }"""


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        DATABASE_URL=env["DATABASE_URL"], REDIS_URL=env["REDIS_URL"], TURNERO_DATA_DIR=Path(env["TURNERO_DATA_DIR"])
    )


async def fresh_database(env: dict[str, str]) -> None:
    """The bench's database dropped: every run simulates (and anonymises) the same year from scratch."""
    url = make_url(env["DATABASE_URL"])
    conn = await asyncpg.connect(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {url.database}")
    finally:
        await conn.close()


async def history(settings: Settings, offices: int, days: int) -> dict[str, int]:
    started = time.monotonic()
    await seed_history(settings, days, [office.slug for office in OFFICES[:offices]], Console(stderr=True))
    async with open_state(settings, application_name="bench-retention") as state:
        async with state.engine.begin() as conn:
            await fill_personal(conn, days)
        async with state.engine.connect() as conn:
            counts = await conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM bookings), (SELECT count(*) FROM tickets),"
                " (SELECT count(*) FROM feedback)"
            )
            row: Any = counts.one()
    print(f"history in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return {"bookings": row[0], "tickets": row[1], "feedback": row[2]}


async def future_slots(settings: Settings) -> list[int]:
    async with open_state(settings, application_name="bench-retention") as state:
        async with state.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                """SELECT sl.id FROM slots sl JOIN services s ON s.id = sl.service_id
                   WHERE NOT sl.closed AND sl.booked < sl.capacity AND sl.starts_at > now() + interval '1 day'
                     AND sl.starts_at < now() + make_interval(days => s.booking_window_days)"""
            )
            return [row[0] for row in rows]


async def booking_load(
    base: str, slot_ids: list[int], clients: int, until: asyncio.Future[Any] | float, phase: int
) -> dict[str, Any]:
    """Closed loop until `until` (a deadline in monotonic seconds, or a task to outlast); each phase its own
    citizens and slots (the same ones again would meet full slots and per-citizen limits)."""
    rng = random.Random(phase)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    def going() -> bool:
        return not until.done() if isinstance(until, asyncio.Future) else time.monotonic() < until

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one_client(number: int) -> None:
            attempt = 0
            while going():
                attempt += 1
                document = f"{phase}{number:03d}{attempt:06d}"
                citizen = {"name": f"Bench {number}", "documentId": document}
                body = {"query": BOOK, "variables": {"i": {"slotId": str(rng.choice(slot_ids)), "citizen": citizen}}}
                started = time.perf_counter()
                response = await client.post("/graphql", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                kind = response.json()["data"]["book"]["__typename"]
                outcomes[kind] = outcomes.get(kind, 0) + 1

        began = time.monotonic()
        await asyncio.gather(*(one_client(n) for n in range(clients)))
        elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "attempts": len(ordered),
        "outcomes": outcomes,
        "seconds": round(elapsed, 2),
        "attempts_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(percentile(ordered, 0.5), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
    }


async def during(base: str, slot_ids: list[int], clients: int, env: dict[str, str]) -> tuple[dict[str, Any], Any]:
    """The load while the nightly run works in a process of its own; the run's report and duration."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.retention", "--nightly-run", cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    # its imports and connections first: the load measures the run, not a Python process starting
    assert (await process.stdout.readline()).strip() == b"ready"
    finished = asyncio.ensure_future(process.communicate())
    load = await booking_load(base, slot_ids, clients, finished, phase=2)
    output, _ = await finished
    return load, json.loads(output)


async def nightly_run(settings: Settings) -> dict[str, Any]:
    async with open_state(settings, application_name="bench-retention-run") as state:
        async with state.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        print("ready", flush=True)
        started = time.monotonic()
        report = await anonymise_before(state, datetime.now(UTC) - timedelta(days=settings.retention_days))
        return {"seconds": round(time.monotonic() - started, 2), "anonymised": report}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offices", type=int, default=6)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="of booking load before the run")
    parser.add_argument("--nightly-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nightly_run:  # the child process of `during`
        json.dump(asyncio.run(nightly_run(Settings())), sys.stdout)
        return
    env = bench_environment(DATABASE)
    asyncio.run(fresh_database(env))
    seed(env)
    settings = settings_of(env)
    simulated = asyncio.run(history(settings, args.offices, args.days))
    slot_ids = asyncio.run(future_slots(settings))
    with server(env) as base:
        before = asyncio.run(booking_load(base, slot_ids, args.clients, time.monotonic() + args.seconds, phase=1))
        load, run = asyncio.run(during(base, slot_ids, args.clients, env))
        # the machine may be shared: a third phase shows how much the pace drifts without the run
        after = asyncio.run(booking_load(base, slot_ids, args.clients, time.monotonic() + args.seconds, phase=3))
    report = {
        "benchmark": "nightly retention run over simulated history",
        "offices": args.offices,
        "days": args.days,
        "retention_days": settings.retention_days,
        "history": simulated,
        "run": run,
        "booking_before": before,
        "booking_during": load,
        "booking_after": after,
        "throughput_during_vs_before": round(load["attempts_per_s"] / before["attempts_per_s"], 3),
        "throughput_after_vs_before": round(after["attempts_per_s"] / before["attempts_per_s"], 3),
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
