"""`stats` over a year of the demo city, over HTTP through the real API, beside a trivial query.

    .venv/bin/python -m bench.analytics [--days 365] [--repeat 7] [--database turnero_bench_analytics]

Seeds the demo city and `--history DAYS` of simulated operation into its own database
(`--database`; a rerun reuses it, history and all), starts one `python main.py serve`, signs in as the demo
admin, and times each grouping of `stats` over the whole history up to yesterday (every figure asked,
every office and procedure), one request at a time, twice: cold (`http_ms`: no answer kept, stats_answers
emptied before each request, so each adds the year up from the facts) and warm (`warm_http_ms`: after the
worker's job computed the dashboard's spans ahead, resolvers/analytics/answers.py), checking that both give
the same answer. In the same run: the trivial `{ __typename }` (the baseline), and the same statements
through `stats_rows` in the bench's own process (what the database costs, without HTTP and GraphQL), cold
and warm. Prints JSON; ms are medians. Its short mode, `--days 2 --repeat 1` (a database of its
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import text

from bench.common import bench_environment, offerings, seed, server
from core.db import create_engine
from demo.seed import TIMEZONE
from resolvers.accounts.staff import ensure_admin
from resolvers.analytics.stats import Grouping, StatsQuery, compute_ahead, stats_rows
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


def timed(
    client: httpx.Client,
    token: str,
    body: dict[str, Any],
    repeat: int,
    before: Callable[[], None] | None = None,
) -> tuple[float, Any]:
    """Median ms of `repeat` requests after one warm-up (`before` each, untimed); the last answer's data."""
    durations = []
    data: Any = None
    for attempt in range(repeat + 1):
        if before is not None:
            before()
        started = time.perf_counter()
        data = post(client, token, body)
        if attempt:
            durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), data


async def set_admin_password(database_url: str, password: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await ensure_admin(conn, "admin", password)
    finally:
        await engine.dispose()


def forget_answers(database_url: str) -> None:
    """No answer kept: the next request adds its period up from the facts (and keeps it)."""

    async def forget() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("DELETE FROM stats_answers")
        finally:
            await conn.close()

    asyncio.run(forget())


def compute_ahead_now(database_url: str) -> dict[str, float]:
    """The worker's job (jobs.analytics.precompute_stats), run here: how many answers, how long."""

    async def run() -> dict[str, float]:
        engine = create_engine(database_url, pool_size=4)
        try:
            started = time.perf_counter()
            computed = await compute_ahead(engine)
            return {"answers": computed, "seconds": round(time.perf_counter() - started, 1)}
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def sql_alone(database_url: str, query: StatsQuery, repeat: int, cold: bool) -> float:
    """The same statements through `stats_rows` in this process: what the database costs, without HTTP
    and GraphQL (the refresh of today's facts included, as in the request); `cold`: no answer kept."""
    engine = create_engine(database_url, pool_size=4)
    try:
        durations = []
        for attempt in range(repeat + 1):
            if cold:
                async with engine.begin() as conn:
                    await conn.execute(text("DELETE FROM stats_answers"))
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


def dashboard(
    client: httpx.Client, token: str, period: dict[str, str], repeat: int, before: Callable[[], None] | None = None
) -> float:
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
            if before is not None:
                before()
            started = time.perf_counter()
            list(pool.map(lambda body: post(client, token, body), bodies))
            if attempt:
                rounds.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(rounds), 1)


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
    # over a database seeded by an earlier run the seed adds nothing and prints a password never stored:
    # the demo admin's password set to the one printed, so that a rerun signs in (and skips the seed's minutes)
    asyncio.run(set_admin_password(env["DATABASE_URL"], password))
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

        def forget() -> None:  # the cold measure's `before`
            forget_answers(database_url)

        bodies = [{"query": STATS, "variables": {"f": period, "g": [g.value for g in g_]}} for g_ in GROUPINGS]
        queries = [
            StatsQuery(date.fromisoformat(period["from"]), date.fromisoformat(period["to"]), None, None, tuple(g_))
            for g_ in GROUPINGS
        ]
        # cold: nothing kept, every request adds the year up from the facts (as before issue 18 part 5)
        rows = []
        answers: list[Any] = []
        for group_by, body, query in zip(GROUPINGS, bodies, queries, strict=True):
            http_ms, data = timed(client, token, body, args.repeat, before=forget)
            answers.append(data)
            stats = data["stats"]
            sql_ms = asyncio.run(sql_alone(database_url, query, args.repeat, cold=True))
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
        results["dashboard"] = {"three_requests_at_once_ms": dashboard(client, token, period, args.repeat, forget)}
        # warm: the worker's job has computed the dashboard's spans ahead
        forget()
        results["precompute"] = compute_ahead_now(database_url)
        print(json.dumps(results["precompute"]), flush=True)
        for row, body, query, cold in zip(rows, bodies, queries, answers, strict=True):
            warm_ms, data = timed(client, token, body, args.repeat)
            row["warm_http_ms"] = round(warm_ms, 1)
            row["warm_sql_ms"] = round(asyncio.run(sql_alone(database_url, query, args.repeat, cold=False)), 1)
            row["warm_vs_trivial"] = round(warm_ms / trivial_ms, 1)
            row["same_answer"] = data == cold
            print(json.dumps(row), flush=True)
        results["dashboard"]["warm_three_requests_at_once_ms"] = dashboard(client, token, period, args.repeat)
        print(json.dumps(results["dashboard"]), flush=True)
        # a manager's everyday question: their own office over the year, by month and by weekday and hour;
        # not computed ahead: cold, then kept by its first ask
        office = client.post(
            "/graphql", json={"query": "{ offices { id } }"}, headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]["offices"][0]["id"]
        for group_by in ([Grouping.MONTH], [Grouping.WEEKDAY, Grouping.HOUR]):
            one = {**period, "officeIds": [office]}
            body = {"query": STATS, "variables": {"f": one, "g": [g.value for g in group_by]}}
            http_ms, data = timed(client, token, body, args.repeat, before=forget)
            warm_ms, warm = timed(client, token, body, args.repeat)
            rows.append(
                {
                    "group_by": "one office: " + "+".join(g.value for g in group_by),
                    "rows": len(data["stats"]["rows"]),
                    "booked": data["stats"]["totals"]["booked"],
                    "http_ms": round(http_ms, 1),
                    "http_vs_trivial": round(http_ms / trivial_ms, 1),
                    "warm_http_ms": round(warm_ms, 1),
                    "warm_vs_trivial": round(warm_ms / trivial_ms, 1),
                    "same_answer": warm == data,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        # a period that reaches today refreshes today's facts first, and is never kept
        month = {"from": str(today - timedelta(days=30)), "to": str(today)}
        month_ms, _ = timed(client, token, {"query": STATS, "variables": {"f": month, "g": ["DAY"]}}, args.repeat)
        results["last_30_days_to_today_by_day_ms"] = round(month_ms, 1)
        results["unmet_demand"] = unmet_searches(client, args.repeat)
        results["unmet_demand"]["record_upsert_ms"] = round(asyncio.run(upsert_alone(database_url, args.repeat)), 3)
        results["groupings"] = rows
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
