"""What a booking costs in CPU, in this process: the API app driven in-process (httpx.ASGITransport, so the
client's CPU counts too), beside the trivial query measured the same way in the same run.

    .venv/bin/python -m bench.book_cpu [--bookings 400] [--trivial 800] [--concurrency 16] [--profile]

A release of its own (a new office and procedure, ADAPTIVE as services are by default, 4 seats a slot) on the
bench's database (TURNERO_BENCH_DATABASE, emptied first), and the app's rate limits and free bookings generous
as the suite's, so every request does its whole work. After a warm-up (each statement prepared, each cache
filled) the collector is tuned as `serve` tunes it (server/collector.py). Then, `--concurrency` at once, in four
alternating turns: `--trivial` `{ __typename }`; `--bookings` `book`s refused by validation before any statement
(the same document and variables, the document number malformed: `refused_in_trivial_queries`, the request
around a booking without the booking, a floor no booking goes under on this stack); `--bookings` `book`s of one
person each (no hold). The process's CPU seconds (time.process_time) over each phase, per request: CPU time
holds on a shared machine where wall time does not. Also the statements each booking sends to PostgreSQL and
its round trips to PostgreSQL (BEGIN, COMMIT and pings included) and to Redis (tests/support/round_trips.py);
with `--profile`, where the bookings' CPU goes (cProfile, its own time grouped by package, from as many
bookings again run with the profiler on). Prints JSON; `booking_in_trivial_queries` is the figure issue 18
sets at 1.5 or less.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import pstats
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.common import bench_servers
from bench.release import prepare
from core.db import migrate
from core.runtime import AppState, open_state
from core.settings import Settings
from models import Base
from realtime.live import open_live_queue
from server import collector
from server.app import create_app
from tests.support.api import Api
from tests.support.processes import GENEROUS_RATES
from tests.support.round_trips import Sent, sending

BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename ... on BookingConfirmation { booking { id } } } }"""
TRIVIAL = {"query": "{ __typename }"}
WARM_UP = 32
ROUNDS = 4
ROOT = str(Path(__file__).resolve().parent.parent) + "/"
CAPACITY = 4


def share(total: int, turn: int) -> int:
    """How many of `total` the `turn`th of ROUNDS turns runs."""
    return share_start(total, turn + 1) - share_start(total, turn)


def share_start(total: int, turn: int) -> int:
    return total * turn // ROUNDS


async def at_once(count: int, concurrency: int, one: Callable[[int], Awaitable[None]], start: int = 0) -> float:
    """`count` calls of `one` (numbered from `start`), `concurrency` at a time: the process's CPU seconds."""
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for number in numbers:
            await one(number)

    began = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - began


def by_package(profile: cProfile.Profile, total: float) -> dict[str, float]:
    """The profile's own time grouped by top-level package (the standard library and C built-ins as such): the
    share of the whole, largest first."""
    grouped: defaultdict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, own, _, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        if filename == "~":
            key = "built-in: " + name.strip("<>").split(" of ")[0].split(".")[-1]
        elif "site-packages/" in filename:
            key = filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
        elif "/python3." in filename:
            key = "stdlib: " + filename.split("/python3.")[1].split("/", 1)[-1].split("/")[0].removesuffix(".py")
        elif filename.startswith(ROOT):
            key = "turnero: " + filename.removeprefix(ROOT).split("/")[0]
        else:
            key = "other: " + filename
        grouped[key] += own
    ordered = sorted(grouped.items(), key=lambda item: -item[1])
    return {key: round(own / total, 3) for key, own in ordered[:20] if total > 0}


async def measure(
    settings: Settings, *, bookings: int, trivial: int, concurrency: int, profile: bool = False
) -> dict[str, Any]:
    """The figures, on `settings`' database (which must be migrated; a release of its own is added)."""
    async with (
        open_state(settings, application_name="turnero-bench-book-cpu") as state,
        open_live_queue(state) as live,
        contextlib.AsyncExitStack() as stack,
    ):
        app = create_app(settings)
        app.state.turnero = state
        app.state.live_queue = live
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://turnero.test", limits=limits, timeout=60
        ) as client:
            api = Api(client)
            admin = await api.make_admin(state, "book-cpu-bench-admin")
            release = await prepare(api, admin, bookings * (2 if profile else 1) + WARM_UP, CAPACITY, "ADAPTIVE")
            slots = await free_slots(state, release.service)
            outcomes: Counter[str] = Counter()

            async def one_trivial(_: int) -> None:
                response = await client.post("/graphql", json=TRIVIAL)
                assert response.json()["data"]["__typename"] == "Query", response.text

            def booking(tag: str) -> Callable[[int], Awaitable[None]]:
                async def one_booking(number: int) -> None:
                    variables = {
                        "i": {
                            "slotId": slots[number // CAPACITY % len(slots)],
                            "citizen": {"name": f"Bench {tag}{number}", "documentId": f"{tag}{number:07d}"},
                        }
                    }
                    response = await client.post("/graphql", json={"query": BOOK, "variables": variables})
                    outcomes[response.json()["data"]["book"]["__typename"]] += 1

                return one_booking

            async def one_refused(number: int) -> None:
                # the booking's whole request (HTTP, parse, validation, cost, rate limits, the input's conversion,
                # a pooled connection, the typed error) without the booking: refused by the document's check
                # before any statement, so what it costs is what no booking can cost less than on this stack
                variables = {"i": {"slotId": slots[0], "citizen": {"name": f"Bench {number}", "documentId": "?"}}}
                response = await client.post("/graphql", json={"query": BOOK, "variables": variables})
                assert response.json()["data"]["book"]["__typename"] == "ValidationError", response.text

            await at_once(WARM_UP, concurrency, one_trivial)
            await at_once(WARM_UP, concurrency, one_refused)
            await at_once(WARM_UP, concurrency, booking("9"))
            slots = slots[WARM_UP // CAPACITY :]
            outcomes.clear()
            # as `serve` runs (server/app.py's lifespan, which this in-process app skips): what start-up and the
            # warm-up built frozen out of the collector's work, its young generation collected less often; as it
            # was again afterwards, for a test process that goes on
            threshold = gc.get_threshold()
            collector.tune()
            stack.callback(gc.set_threshold, *threshold)
            stack.callback(gc.unfreeze)
            # in ROUNDS turns, each phase's share at a time: whatever else loads the machine weighs on both alike
            trivial_cpu = refused_cpu = booking_cpu = wall = 0.0
            booked = booking("1")
            sent = Sent()
            for turn in range(ROUNDS):
                trivial_cpu += await at_once(share(trivial, turn), concurrency, one_trivial)
                refused_cpu += await at_once(share(bookings, turn), concurrency, one_refused)
                began = time.perf_counter()
                with sending(state) as turns:
                    start = share_start(bookings, turn)
                    booking_cpu += await at_once(share(bookings, turn), concurrency, booked, start=start)
                wall += time.perf_counter() - began
                sent = sent + turns
            measured = dict(outcomes)
            profiler, profiled_cpu = None, 0.0
            if profile:
                # as many bookings again, profiled by CPU time (cProfile's default clock is wall time, which on a
                # shared machine counts the other processes' turns), on slots of their own
                slots = slots[bookings // CAPACITY :]
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                profiled_cpu = await at_once(bookings, concurrency, booking("2"))
                profiler.disable()
    # rounded before the ratios are taken, so that the report's ratios are those of the figures it prints
    per_booking = round(booking_cpu / bookings * 1000, 3)
    per_trivial = round(trivial_cpu / trivial * 1000, 3)
    per_refused = round(refused_cpu / bookings * 1000, 3)
    report: dict[str, Any] = {
        "benchmark": "book CPU in-process",
        "concurrency": concurrency,
        "bookings": bookings,
        "outcomes": measured,
        "booking_cpu_ms": per_booking,
        "booking_wall_s": round(wall, 2),
        "statements_per_booking": round(len(sent.statements) / bookings, 2),
        "postgres_round_trips_per_booking": round(sent.executed / bookings, 2),
        "postgres_statements_prepared": sent.prepared,
        "redis_round_trips_per_booking": round(sent.redis / bookings, 2),
        "trivial_queries": trivial,
        "trivial_cpu_ms": per_trivial,
        "booking_in_trivial_queries": round(per_booking / per_trivial, 2),
        "refused_cpu_ms": per_refused,
        "refused_in_trivial_queries": round(per_refused / per_trivial, 2),
        "profiled": profile,
    }
    if profiler is not None:
        report["profiled_booking_cpu_ms"] = round(profiled_cpu / bookings * 1000, 3)
        report["cpu_by_package"] = by_package(profiler, profiled_cpu)
    return report


async def free_slots(state: AppState, service_id: str) -> list[str]:
    async with state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id FROM slots WHERE service_id = :s AND booked = 0 ORDER BY starts_at"), {"s": int(service_id)}
        )
        return [str(row[0]) for row in rows]


async def emptied(settings: Settings) -> None:
    async with open_state(settings) as state, state.engine.begin() as conn:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--trivial", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="cProfile the bookings: CPU by package")
    args = parser.parse_args()
    database_url, redis_url = bench_servers()
    migrate(database_url)
    settings = Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TURNERO_SECRET_KEY="bench-book-cpu: not a secret, a key of the right length",
        **GENEROUS_RATES,
    )
    asyncio.run(emptied(settings))
    sizes = {"bookings": args.bookings, "trivial": args.trivial, "concurrency": args.concurrency}
    report = asyncio.run(measure(settings, **sizes, profile=args.profile))
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
