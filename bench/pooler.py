"""Transaction pooling's price: the release burst of bench.booking through PgBouncer beside the same burst
straight to PostgreSQL, in the same run.

    .venv/bin/python -m bench.pooler [--clients 16] [--slots 200] [--attempts-per-seat 3] [--pool-size 8] [--rounds 2]

One `serve` process at a time (one uvicorn worker), on the seeded demo city: first on DATABASE_URL itself (the
baseline), then on Debian's PgBouncer in transaction pooling mode (`--pool-size` server connections) with
TURNERO_DB_POOLER=pgbouncer, where no prepared statement is cached (core/db.py); `--rounds` times, alternating.
Before each burst the same slots are freed again. Prints JSON: each burst's attempts/s, p50/p99 and double
bookings (must be 0), and each round's pooled attempts/s as a ratio of the direct one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bench.booking import DOUBLE_BOOKINGS, api_burst, count, prepare
from bench.common import bench_environment, seed, server
from tests.support.pgbouncer import pgbouncer


async def compare(
    env: dict[str, str],
    fresh_slots: Callable[[], Awaitable[tuple[list[int], int]]],
    *,
    clients: int,
    attempts_per_seat: int,
    pool_size: int,
    rounds: int,
) -> dict[str, Any]:
    """`rounds` pairs of bursts, direct then pooled; `fresh_slots` frees the slots to book: (ids, seats)."""
    url = env["DATABASE_URL"]
    bursts: list[dict[str, Any]] = []
    with pgbouncer(url, pool_size=pool_size) as through:
        pooled = env | {"DATABASE_URL": through, "DATABASE_DIRECT_URL": url, "TURNERO_DB_POOLER": "pgbouncer"}
        for round_number in range(rounds):
            for mode, mode_env in (("direct", env), ("pgbouncer", pooled)):
                slot_ids, seats = await fresh_slots()
                with server(mode_env) as base:
                    api = await api_burst(base, slot_ids, clients, seats * attempts_per_seat)
                doubles = await count(url, DOUBLE_BOOKINGS)
                bursts.append({"round": round_number + 1, "mode": mode, "api": api, "double_bookings": doubles})
    ratios = [
        round(pooled_run["api"]["attempts_per_s"] / direct_run["api"]["attempts_per_s"], 3)
        for direct_run, pooled_run in zip(bursts[::2], bursts[1::2], strict=True)
    ]
    return {
        "benchmark": "booking burst through PgBouncer (transaction pooling) vs direct",
        "clients": clients,
        "pgbouncer_pool_size": pool_size,
        "bursts": bursts,
        "pgbouncer_attempts_per_s_vs_direct": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--attempts-per-seat", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=8, help="PgBouncer's server connections")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    env = bench_environment()
    seed(env)

    async def fresh_slots() -> tuple[list[int], int]:
        return await prepare(env["DATABASE_URL"], args.slots)

    report = asyncio.run(
        compare(
            env,
            fresh_slots,
            clients=args.clients,
            attempts_per_seat=args.attempts_per_seat,
            pool_size=args.pool_size,
            rounds=args.rounds,
        )
    )
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
