"""Availability and earliestSlots against the demo city, over HTTP, beside a trivial query (the baseline).

    .venv/bin/python -m bench.availability [--seconds 10] [--concurrency 8] [--cache-seconds 10]

Seeds the demo city into its own database (turnero_bench) if needed, then runs every query twice: on one
`python main.py serve` with the availability cache off (TURNERO_AVAILABILITY_CACHE_SECONDS=0), then on one
with it on (issue 18, part 3); each server without the query-cost check (the city-wide listing is over its
budget). Prints JSON: requests/s and p50/p99 latency of each query, and each one's throughput as a ratio of
the trivial query's, served by the same process in the same run. `results` is the cache off (the figures of
issue 2), `results_cached` the cache on. Every request is anonymous and picks a random procedure, as a
city's citizens do: the cache's hits come from many people asking the same thing within its few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from datetime import date, timedelta
from typing import Any

import httpx

from bench.common import bench_environment, load, offerings, seed, server

TRIVIAL = "{ __typename }"
AVAILABILITY_ALL = """query($s: ID!, $f: Date!, $t: Date!) { availability(serviceId: $s, from: $f, to: $t) {
    date remaining office { id name } slots { id startsAt endsAt remaining } } }"""
AVAILABILITY_ONE = """query($s: ID!, $f: Date!, $t: Date!, $o: ID!) {
    availability(serviceId: $s, from: $f, to: $t, officeId: $o) { date remaining slots { id startsAt remaining } } }"""
EARLIEST = """query($s: ID!) { earliestSlots(serviceId: $s, limit: 10) {
    id startsAt remaining office { id name address } } }"""
WHOLE_CITY = "availability_all_offices_7d"


async def measure(env: dict[str, str], *, seconds: float, concurrency: int, cache_seconds: float) -> dict[str, Any]:
    """Both servers' figures on the database `env` names (seeded already)."""
    # the cost budget and the per-address search limit off in effect (their checks still run, as for any caller):
    # one address asks thousands of times a minute here, and a run within the hour of another would be refused
    env = env | {"TURNERO_MAX_QUERY_COST": "0", "TURNERO_RATE_SEARCHES": "1000000/minute"}
    report: dict[str, Any] = {"concurrency": concurrency, "seconds_per_case": seconds, "cache_seconds": cache_seconds}
    for mode, cache in (("results", 0.0), ("results_cached", cache_seconds)):
        with server(env | {"TURNERO_AVAILABILITY_CACHE_SECONDS": str(cache)}) as base:
            pairs = offerings(base)
            figures, slots = await _cases(base, pairs, seconds=seconds, concurrency=concurrency)
        report[mode] = figures
        report["offices_x_services"] = len(pairs)
        report["services"] = len({s for _, s in pairs})
        report.setdefault("mean_slots_per_all_offices_answer", round(sum(slots) / max(len(slots), 1), 1))
    report["whole_city_vs_trivial"] = {
        "cache_off": report["results"][WHOLE_CITY]["throughput_vs_trivial"],
        "cache_on": report["results_cached"][WHOLE_CITY]["throughput_vs_trivial"],
    }
    return report


def answers(base: str) -> dict[str, float]:
    """The server's availability cache counters (core/metrics.py), from /metrics."""
    found = {"hit": 0.0, "miss": 0.0, "kept": 0.0}
    text = httpx.get(f"{base}/metrics", timeout=30).text
    for line in text.splitlines():
        if line.startswith("turnero_availability_answers_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            found[outcome] = float(line.rsplit(" ", 1)[1])
    return found


async def _cases(
    base: str, pairs: list[tuple[str, str]], *, seconds: float, concurrency: int
) -> tuple[dict[str, Any], list[int]]:
    services = sorted({s for _, s in pairs})
    week_from = date.today() + timedelta(days=1)
    week = {"f": week_from.isoformat(), "t": (week_from + timedelta(days=6)).isoformat()}
    rng = random.Random(7)  # the same sequence of procedures for both servers
    slots_seen: list[int] = []

    def count_slots(data: dict[str, Any]) -> None:
        slots_seen.append(sum(len(day["slots"]) for day in data["availability"]))

    def nothing(data: dict[str, Any]) -> None:
        pass

    figures: dict[str, Any] = {}
    cases: list[tuple[str, Any, Any]] = [
        ("trivial", lambda n: {"query": TRIVIAL}, nothing),
        (
            WHOLE_CITY,
            lambda n: {"query": AVAILABILITY_ALL, "variables": {"s": rng.choice(services), **week}},
            count_slots,
        ),
        (
            "availability_one_office_7d",
            lambda n: {
                "query": AVAILABILITY_ONE,
                "variables": dict(zip(("o", "s"), rng.choice(pairs), strict=True)) | week,
            },
            nothing,
        ),
        ("earliest_slots_10", lambda n: {"query": EARLIEST, "variables": {"s": rng.choice(services)}}, nothing),
    ]
    await load(base, cases[0][1], concurrency=concurrency, seconds=min(2, seconds), check=nothing)  # warm-up
    for name, request, check in cases:
        # each case warmed like the trivial one: the cache then measures its steady state (the city asking
        # all the time), not the seconds after a restart; the same warm-up without the cache warms PostgreSQL
        await load(base, request, concurrency=concurrency, seconds=min(2, seconds), check=nothing)
        before = answers(base)
        figures[name] = await load(base, request, concurrency=concurrency, seconds=seconds, check=check)
        after = answers(base)
        computed = after["miss"] - before["miss"]
        served = after["hit"] - before["hit"]
        if computed + served:
            figures[name]["cache_hit_ratio"] = round(served / (computed + served), 3)
    baseline = figures["trivial"]["requests_per_s"]
    for name in figures:
        figures[name]["throughput_vs_trivial"] = round(figures[name]["requests_per_s"] / baseline, 3)
    return figures, slots_seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cache-seconds", type=float, default=10)
    args = parser.parse_args()
    env = bench_environment()
    seed(env)
    figures = asyncio.run(
        measure(env, seconds=args.seconds, concurrency=args.concurrency, cache_seconds=args.cache_seconds)
    )
    report = {"benchmark": "availability"} | figures
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
