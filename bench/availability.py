"""Availability and earliestSlots against the demo city, over HTTP, beside a trivial query (the baseline).

    .venv/bin/python bench/availability.py [--seconds 10] [--concurrency 8]

Seeds the demo city into its own database (turnero_bench) if needed, starts one `python main.py serve`
(without the query-cost check: the city-wide listing is over its budget),
and prints JSON: requests/s and p50/p99 latency of each query, and each one's throughput as a ratio of
the trivial query's, served by the same process in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, timedelta
from typing import Any

from bench.common import bench_environment, load, offerings, run, seed, server

TRIVIAL = "{ __typename }"
AVAILABILITY_ALL = """query($s: ID!, $f: Date!, $t: Date!) { availability(serviceId: $s, from: $f, to: $t) {
    date remaining office { id name } slots { id startsAt endsAt remaining } } }"""
AVAILABILITY_ONE = """query($s: ID!, $f: Date!, $t: Date!, $o: ID!) {
    availability(serviceId: $s, from: $f, to: $t, officeId: $o) { date remaining slots { id startsAt remaining } } }"""
EARLIEST = """query($s: ID!) { earliestSlots(serviceId: $s, limit: 10) {
    id startsAt remaining office { id name address } } }"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    # every free slot of a week city-wide is over the default cost budget by design (a scraper's request):
    # this bench measures the queries themselves, so its server runs without the cost check
    env = bench_environment() | {"TURNERO_MAX_QUERY_COST": "0"}
    seed(env)
    with server(env) as base:
        pairs = offerings(base)
        services = sorted({s for _, s in pairs})
        week_from = date.today() + timedelta(days=1)
        week = {"f": week_from.isoformat(), "t": (week_from + timedelta(days=6)).isoformat()}
        rng = random.Random(7)
        slots_seen: list[int] = []

        def count_slots(data: dict[str, Any]) -> None:
            slots_seen.append(sum(len(day["slots"]) for day in data["availability"]))

        def nothing(data: dict[str, Any]) -> None:
            pass

        async def measure() -> dict[str, Any]:
            figures: dict[str, Any] = {}
            cases: list[tuple[str, Any, Any]] = [
                ("trivial", lambda n: {"query": TRIVIAL}, nothing),
                (
                    "availability_all_offices_7d",
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
            await load(base, cases[0][1], concurrency=args.concurrency, seconds=2, check=nothing)  # warm-up
            for name, request, check in cases:
                figures[name] = await load(
                    base, request, concurrency=args.concurrency, seconds=args.seconds, check=check
                )
            baseline = figures["trivial"]["requests_per_s"]
            for name in figures:
                figures[name]["throughput_vs_trivial"] = round(figures[name]["requests_per_s"] / baseline, 3)
            return figures

        results = run(measure)
    report = {
        "benchmark": "availability",
        "concurrency": args.concurrency,
        "seconds_per_case": args.seconds,
        "offices_x_services": len(pairs),
        "services": len(services),
        "mean_slots_per_all_offices_answer": round(sum(slots_seen) / max(len(slots_seen), 1), 1),
        "results": results,
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
