"""`stats` over a year of the demo city, over HTTP through the real API, beside a trivial query.

    .venv/bin/python -m bench.analytics [--days 365] [--repeat 7] [--database turnero_bench_analytics]

Seeds the demo city and `--history DAYS` of simulated operation into its own database
(`--database`; a rerun reuses it, history and all), starts one `python main.py serve`, signs in as the demo
admin, and times each grouping of `stats` over the whole history (every figure asked, every office and
procedure), one request at a time. In the same run: the trivial `{ __typename }` (the baseline), and the
same statements through `stats_rows` in the bench's own process (what the database costs, without
HTTP and GraphQL). Prints JSON; ms are medians. Its short mode, `--days 2 --repeat 1` (a database of its
own), is what tests/benchmarks/test_bench_analytics.py runs: that it runs and what it prints, not its speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench.common import bench_environment, offerings, seed, server
from core.db import create_engine
from demo.seed import TIMEZONE
from resolvers.analytics.stats import Grouping, StatsQuery, stats_rows
from tests.support.analytics import page_documents

DATABASE = "turnero_bench_analytics"
TRIVIAL = "{ __typename }"
FIGURES = """period weekday hour office { id name } service { id name } booked cancelled came noShows
    noShowRate walkIns served demand unmetSearches waitMedianMinutes waitP90Minutes serviceMedianMinutes
    serviceP90Minutes leadTimeMedianDays leadTimeP90Days ratingCount ratingAverage ratings estimateCount
    estimateMeanMinutes actualMeanMinutes estimateBiasMinutes estimateMeanAbsoluteErrorMinutes"""
STATS = f"""query($f: StatsFilterInput!, $g: [Grouping!]) {{ stats(filter: $f, groupBy: $g) {{ __typename
    ... on Stats {{ rows {{ {FIGURES} }} totals {{ {FIGURES} }} }} ... on UserError {{ message }} }} }}"""
GROUPINGS: list[list[Grouping]] = [
    [],
    [Grouping.MONTH],
    [Grouping.WEEK],
    [Grouping.DAY],
    [Grouping.WEEKDAY, Grouping.HOUR],
    [Grouping.OFFICE],
    [Grouping.SERVICE],
    [Grouping.OFFICE, Grouping.HOUR],
    [Grouping.OFFICE, Grouping.SERVICE],
]


def admin_password(seed_output: str) -> str:
    found = re.search(r"^  admin\s+(\S+)\s+ADMIN", seed_output, re.MULTILINE)
    if not found:
        raise SystemExit("the seed did not print the admin's password")
    return found.group(1)


def post(client: httpx.Client, token: str, body: dict[str, Any]) -> Any:
    """One GraphQL request that must succeed: its data."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json=body, headers=headers)
    payload = response.json()
    if response.status_code != 200 or "errors" in payload:
        raise SystemExit(f"request failed: {response.status_code} {payload}")
    return payload["data"]


def timed(client: httpx.Client, token: str, body: dict[str, Any], repeat: int) -> tuple[float, Any]:
    """Median ms of `repeat` requests after one warm-up; the last answer's data."""
    durations = []
    data: Any = None
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        data = post(client, token, body)
        if attempt:
            durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), data


async def sql_alone(database_url: str, query: StatsQuery, repeat: int) -> float:
    """The same statements through `stats_rows` in this process: what the database costs, without HTTP
    and GraphQL (the refresh of today's facts included, as in the request)."""
    engine = create_engine(database_url, pool_size=4)
    try:
        durations = []
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            async with engine.connect() as conn, contextlib.aclosing(stats_rows(conn, query, engine)) as rows:
                async for _ in rows:
                    pass
            if attempt:
                durations.append((time.perf_counter() - started) * 1000)
        return statistics.median(durations)
    finally:
        await engine.dispose()


EMPTY_AVAILABILITY = """query($s: ID!, $o: ID!, $f: Date!, $t: Date!) {
    availability(serviceId: $s, officeId: $o, from: $f, to: $t) { date } }"""


def unmet_searches(client: httpx.Client, repeat: int) -> dict[str, float]:
    """An availability search that finds nothing (past days: never a free slot), so every answer is
    counted as unmet demand; with the upsert alone (upsert_alone) it gives the recording's share."""
    office, service = offerings(str(client.base_url))[0]
    past = {"s": service, "o": office, "f": "2020-01-06", "t": "2020-01-12"}
    counted_ms, _ = timed(client, "", {"query": EMPTY_AVAILABILITY, "variables": past}, repeat * 20)
    return {"empty_availability_ms": round(counted_ms, 2)}


async def upsert_alone(database_url: str, repeat: int) -> float:
    from resolvers.analytics.unmet import _RECORD

    sql = str(_RECORD).replace(":office_id", "$1").replace(":service_id", "$2")
    conn = await asyncpg.connect(database_url)
    try:
        office, service = await conn.fetchrow("SELECT office_id, service_id FROM office_services LIMIT 1")
        durations = []
        for _ in range(repeat * 20):
            started = time.perf_counter()
            await conn.execute(sql, office, service)
            durations.append((time.perf_counter() - started) * 1000)
        return statistics.median(durations)
    finally:
        await conn.close()


def dashboard(client: httpx.Client, token: str, period: dict[str, str], repeat: int) -> dict[str, float]:
    """The analytics page's first view: its three stats requests at once, with the page's own documents
    (web/analytics/queries.js), each asking only for what its chart draws; median ms of the slowest."""
    documents = page_documents()
    bodies = [
        {"query": documents["STATS"], "variables": {"f": period, "g": ["WEEK"]}},
        {"query": documents["STATS_HEAT"], "variables": {"f": period}},
        {"query": documents["STATS_SERVICES"], "variables": {"f": period}},
    ]
    rounds = []
    with ThreadPoolExecutor(len(bodies)) as pool:
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            list(pool.map(lambda body: post(client, token, body), bodies))
            if attempt:
                rounds.append((time.perf_counter() - started) * 1000)
    return {"three_requests_at_once_ms": round(statistics.median(rounds), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()
    # every figure of every group (a list the cost analysis counts at its longest) is over the default cost
    # budget, as bench.availability's whole city is: this bench measures the statements, not the budget
    env = bench_environment(args.database) | {"TURNERO_MAX_QUERY_COST": "0"}
    password = admin_password(seed(env, "--history", str(args.days), timeout=3600))
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    period = {"from": str(today - timedelta(days=args.days)), "to": str(today - timedelta(days=1))}
    database_url = env["DATABASE_URL"]
    results: dict[str, Any] = {"days": args.days, "period": period, "repeat": args.repeat}
    with server(env) as base, httpx.Client(base_url=base, timeout=120) as client:
        login = client.post(
            "/graphql",
            json={
                "query": 'mutation($p: String!) { login(username: "admin", password: $p) {'
                " ... on Session { token } } }",
                "variables": {"p": password},
            },
        ).json()
        token = login["data"]["login"]["token"]
        trivial_ms, _ = timed(client, token, {"query": TRIVIAL}, args.repeat * 3)
        results["trivial_ms"] = round(trivial_ms, 2)
        rows = []
        for group_by in GROUPINGS:
            body = {"query": STATS, "variables": {"f": period, "g": [g.value for g in group_by]}}
            http_ms, data = timed(client, token, body, args.repeat)
            stats = data["stats"]
            query = StatsQuery(
                date.fromisoformat(period["from"]), date.fromisoformat(period["to"]), None, None, tuple(group_by)
            )
            sql_ms = asyncio.run(sql_alone(database_url, query, args.repeat))
            rows.append(
                {
                    "group_by": "+".join(g.value for g in group_by) or "(totals)",
                    "rows": len(stats["rows"]),
                    "booked": stats["totals"]["booked"],
                    "http_ms": round(http_ms, 1),
                    "sql_ms": round(sql_ms, 1),
                    "http_vs_trivial": round(http_ms / trivial_ms, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        # a manager's everyday question: their own office over the year, by month and by weekday and hour
        office = client.post(
            "/graphql", json={"query": "{ offices { id } }"}, headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]["offices"][0]["id"]
        for group_by in ([Grouping.MONTH], [Grouping.WEEKDAY, Grouping.HOUR]):
            one = {**period, "officeIds": [office]}
            body = {"query": STATS, "variables": {"f": one, "g": [g.value for g in group_by]}}
            http_ms, data = timed(client, token, body, args.repeat)
            rows.append(
                {
                    "group_by": "one office: " + "+".join(g.value for g in group_by),
                    "rows": len(data["stats"]["rows"]),
                    "booked": data["stats"]["totals"]["booked"],
                    "http_ms": round(http_ms, 1),
                    "http_vs_trivial": round(http_ms / trivial_ms, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        # a period that reaches today refreshes today's facts first
        month = {"from": str(today - timedelta(days=30)), "to": str(today)}
        month_ms, _ = timed(client, token, {"query": STATS, "variables": {"f": month, "g": ["DAY"]}}, args.repeat)
        results["last_30_days_to_today_by_day_ms"] = round(month_ms, 1)
        results["dashboard"] = dashboard(client, token, period, args.repeat)
        print(json.dumps(results["dashboard"]), flush=True)
        results["unmet_demand"] = unmet_searches(client, args.repeat)
        results["unmet_demand"]["record_upsert_ms"] = round(asyncio.run(upsert_alone(database_url, args.repeat)), 3)
        results["groupings"] = rows
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
