"""Fairness of a release of scarce seats: do they go to people, or to bots? (issue 14)

    .venv/bin/python -m bench.fairness [--seats 1000] [--people 400] [--bots 10] [--identities 50]
        [--bot-addresses 3] [--seconds 120] [--scenarios first_come,first_come_adaptive,draw]

One `python main.py serve` with the protections as deployed (no test-suite rates), on a database of its own
(TURNERO_BENCH_DATABASE). For each scenario a new office and procedure whose agenda holds `--seats` seats over
ten days, released at once; then `--people` people (one identity and one address each; they arrive over the
first 20 s, think 3-10 s before choosing a time and 2-4 s after losing one) and `--bots` bots (each with
`--identities` invented identities on `--bot-addresses` addresses, in tight loops, in a process of their own
so that their CPU time is measured) book it. Challenges are solved at their real cost with the `altcha`
package, as the widget does.

Scenarios: `first_come` (challengePolicy NEVER), `first_come_adaptive` (ADAPTIVE: a challenge beyond an
address's free allowance), `draw` (releasePolicy DRAW: people and bots `enterDraw` during the window, people
after reading the page, bots with every identity as fast as answered, solving challenges where asked and
refused beyond TURNERO_DRAW_ENTRIES_PER_ADDRESS; then the window is closed and a real `python main.py worker`
runs the draw). A scenario the server does not offer yet is reported as such. For each: bot seats' share ÷
bot identities' share of requesters (goal ≤ 1.0 under DRAW), the share of people with a seat (or a waitlist
place, goal 100 % under DRAW), the bots' CPU seconds per seat won, and the database's own count (no slot over
its capacity). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.common import ROOT, bench_environment, server_process, stop_process, with_admin
from bench.fairness_clients import Scenario, merged, person
from bench.hostile_net import bound_client, loopback
from tests.support.api import Api
from tests.support.processes import GENEROUS_RATES

ADMIN = "fairness-bench-admin"
ZONE = "America/Argentina/Cordoba"
DAYS = 10
SLOTS_PER_DAY = 10
POLICIES = {
    "first_come": {"challengePolicy": "NEVER", "releasePolicy": "FIRST_COME"},
    "first_come_adaptive": {"challengePolicy": "ADAPTIVE", "releasePolicy": "FIRST_COME"},
    "draw": {"challengePolicy": "ADAPTIVE", "releasePolicy": "DRAW"},
}
DRAW_TIMEOUT_SECONDS = 120  # a worker's start-up and the draw job's first run
SETUP_BLOCK = 2  # 127.2.x.x: the bench's own administration
PEOPLE_BLOCKS = {"first_come": 30, "first_come_adaptive": 31, "draw": 32}  # an address block per scenario:
BOT_BLOCKS = {"first_come": 60, "first_come_adaptive": 61, "draw": 62}  # no limit carries over between them
ARRIVALS_SECONDS = 20
RUNS = 128  # address ranges per block: people take 500 addresses of a run's range, bots 3 each
PEOPLE_PER_RUN = 500
UPSERT_SERVICE = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename ... on Service { id }
    ... on UserError { message } } }"""


async def offered(api: Api, admin: str, policy: dict[str, str]) -> tuple[bool, bool]:
    """(challenge known, draw known): whether the server's schema has the policies at all."""
    probe = {"slug": f"probe-{secrets.token_hex(3)}", "name": "Probe", "durationMinutes": 15}
    answers = []
    for field in ("challengePolicy", "releasePolicy"):
        response = await api.client.post(
            "/graphql",
            json={"query": UPSERT_SERVICE, "variables": {"i": probe | {field: policy[field]}}},
            headers={"Authorization": f"Bearer {admin}"},
        )
        answers.append(not response.json().get("errors"))
    return answers[0], answers[1]


async def release(
    api: Api, admin: str, name: str, seats: int, policy: dict[str, str], known: tuple[bool, bool]
) -> dict[str, str]:
    """A new office and procedure with `seats` seats over ten days, released: the scenario's ids and days."""
    tag = f"{name.replace('_', '-')}-{secrets.token_hex(3)}"
    office = await api.office(admin, slug=f"fair-{tag}", timezone=ZONE)
    extra = {key: value for key, value, on in zip(policy, policy.values(), known, strict=True) if on}
    service = await api.service(admin, slug=f"fair-{tag}", bookingWindowDays=DAYS + 5, **extra)
    first = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    last = first + timedelta(days=DAYS - 1)
    agenda = await api.agenda(
        admin,
        officeId=office,
        serviceId=service,
        weekdays=list(range(1, 8)),
        startTime="09:00",
        endTime=f"{9 + SLOTS_PER_DAY // 2:02d}:00",
        slotMinutes=30,
        capacity=max(1, seats // (DAYS * SLOTS_PER_DAY)),
        validFrom=first.isoformat(),
        validTo=last.isoformat(),
    )
    assert agenda["__typename"] == "Agenda", agenda
    released = await api.release(admin, office)
    assert released["__typename"] == "ReleaseReport", released
    return {"office": office, "service": service, "first_day": first.isoformat(), "last_day": last.isoformat()}


def run_bots(plan: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.fairness_clients"],
        cwd=ROOT,
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


async def counted(database_url: str, service: str) -> dict[str, int]:
    """The database's own figures for the scenario's procedure."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM bookings WHERE service_id = $1 AND status = 'BOOKED') AS booked,
                      (SELECT coalesce(sum(capacity), 0) FROM slots WHERE service_id = $1) AS seats,
                      (SELECT count(*) FROM slots WHERE service_id = $1 AND booked > capacity) AS over""",
            int(service),
        )
    finally:
        await conn.close()
    assert row is not None
    return {"bookings": row["booked"], "seats": row["seats"], "slots_over_capacity": row["over"]}


async def scenario(
    name: str, base: str, admin_password: str, database_url: str, args: argparse.Namespace, env: dict[str, str]
) -> dict[str, Any]:
    policy = POLICIES[name]
    async with bound_client(base, loopback(SETUP_BLOCK, 1), timeout=60) as http:
        api = Api(http)
        admin = await api.login(ADMIN, admin_password)
        known = await offered(api, admin, policy)
        if name == "draw" and not known[1]:
            return {"available": False, "why": "this server has no releasePolicy DRAW (issue 14 part 4)"}
        if name == "first_come_adaptive" and not known[0]:
            return {"available": False, "why": "this server has no challengePolicy (issue 14 part 2)"}
        ids = await release(api, admin, name, args.seats, policy, known)
    started = time.time()
    world = Scenario(
        base=base, challenge=known[0], deadline=started + args.seconds, mode="draw" if name == "draw" else "book", **ids
    )
    rng = random.Random(args.seed)
    # addresses of this run's own within the scenario's block: the rate limits an earlier run left in Redis
    # (a day's bookings per address) do not fall on this one
    run = secrets.randbelow(RUNS)
    bots_plan = {
        "scenario": asdict(world),
        "block": BOT_BLOCKS[name],
        "first": run * args.bots,
        "bots": args.bots,
        "addresses": args.bot_addresses,
        "identities": args.identities,
    }
    bots_task = asyncio.create_task(asyncio.to_thread(run_bots, bots_plan))
    people = await asyncio.gather(
        *(
            person(
                world,
                run * PEOPLE_PER_RUN + n,
                PEOPLE_BLOCKS[name],
                rng.uniform(0, ARRIVALS_SECONDS),
                random.Random(rng.random()),
            )
            for n in range(args.people)
        )
    )
    bots = await bots_task
    humans = merged(list(people))
    if world.draw:
        return await drawn(world, env, database_url, args, bots, humans, started)
    elapsed = time.time() - started
    bot_identities = args.bots * args.identities
    won = humans["seats"] + bots["seats"]
    bot_share_of_requesters = bot_identities / (bot_identities + args.people)
    bot_share_of_seats = bots["seats"] / won if won else 0.0
    database = await counted(database_url, ids["service"])
    return {
        "available": True,
        "policy": {key: value for (key, value), on in zip(policy.items(), known, strict=True) if on},
        "seconds": round(elapsed, 1),
        "seats_released": database["seats"],
        "seats_won": {"people": humans["seats"], "bots": bots["seats"]},
        "bot_seat_share_over_requester_share": round(bot_share_of_seats / bot_share_of_requesters, 3),
        "people_with_a_seat_share": round(humans["with_a_seat"] / args.people, 3),
        "people_waitlisted_share": 0.0,  # first come: nobody is put on the waitlist
        "bot_cpu_seconds_per_seat": round(bots["cpu_seconds"] / bots["seats"], 3) if bots["seats"] else None,
        "bots": bots,
        "people": humans,
        "database": database,
        "bookings_match": database["bookings"] == won,
    }


async def run_draw(env: dict[str, str], database_url: str, service: str) -> float:
    """The window closed now (as if drawMinutes had passed) and a real worker started to draw it: its seconds."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """UPDATE draws SET opens_at = least(opens_at, now() - interval '1 minute'), closes_at = now()
               WHERE service_id = $1 AND status = 'OPEN'""",
            int(service),
        )
        began = time.monotonic()
        worker = subprocess.Popen(  # noqa: ASYNC220 (started once, outside the measured part)
            [sys.executable, "main.py", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while await conn.fetchval(
                "SELECT count(*) FROM draws WHERE service_id = $1 AND status = 'OPEN'", int(service)
            ):
                if time.monotonic() - began > DRAW_TIMEOUT_SECONDS:
                    raise SystemExit("the worker did not run the draw in time")
                await asyncio.sleep(0.5)
        finally:
            stop_process(worker)
        return time.monotonic() - began
    finally:
        await conn.close()


async def draw_results(database_url: str, service: str) -> dict[str, dict[str, int]]:
    """Entries by requester kind (people's and bots' names say which) and by status after the draw."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT CASE WHEN e.citizen_name LIKE 'Bot %' THEN 'bots' ELSE 'people' END AS kind,
                      e.status::text AS status, count(*) AS entries
               FROM draw_entries e JOIN draws d ON d.id = e.draw_id WHERE d.service_id = $1
               GROUP BY 1, 2""",
            int(service),
        )
    finally:
        await conn.close()
    results: dict[str, dict[str, int]] = {"people": {}, "bots": {}}
    for row in rows:
        results[row["kind"]][row["status"]] = row["entries"]
    return results


async def drawn(
    world: Scenario,
    env: dict[str, str],
    database_url: str,
    args: argparse.Namespace,
    bots: dict[str, Any],
    humans: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """The draw scenario's figures, once the draw has run: who won, who is on the waitlist, at what bot cost."""
    entering_seconds = time.time() - started
    draw_seconds = await run_draw(env, database_url, world.service)
    results = await draw_results(database_url, world.service)
    people, robots = results["people"], results["bots"]
    bot_identities = args.bots * args.identities
    won_people, won_bots = people.get("WON", 0), robots.get("WON", 0)
    won = won_people + won_bots
    bot_share_of_requesters = bot_identities / (bot_identities + args.people)
    database = await counted(database_url, world.service)
    return {
        "available": True,
        "policy": POLICIES["draw"],
        "seconds": round(entering_seconds + draw_seconds, 1),
        "entering_seconds": round(entering_seconds, 1),
        "draw_seconds_with_worker_start": round(draw_seconds, 1),
        "seats_released": database["seats"],
        "entries": {"people": sum(people.values()), "bots": sum(robots.values())},
        "seats_won": {"people": won_people, "bots": won_bots},
        "seats_left_for_first_come": database["seats"] - won,
        "bot_seat_share_over_requester_share": round((won_bots / won if won else 0.0) / bot_share_of_requesters, 3),
        "people_with_a_seat_share": round(won_people / args.people, 3),
        "people_waitlisted_share": round(people.get("WAITLISTED", 0) / args.people, 3),
        "people_served_share": round((won_people + people.get("WAITLISTED", 0)) / args.people, 3),
        "bot_cpu_seconds_per_seat": round(bots["cpu_seconds"] / won_bots, 3) if won_bots else None,
        "bots": bots,
        "people": humans,
        "database": database,
        "bookings_match": database["bookings"] == won,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--bots", type=int, default=10)
    parser.add_argument("--identities", type=int, default=50, help="invented identities per bot")
    parser.add_argument("--bot-addresses", type=int, default=3, help="addresses per bot")
    parser.add_argument("--seconds", type=float, default=120, help="each scenario's limit")
    parser.add_argument("--seed", type=int, default=14, help="the people's arrivals and choices")
    parser.add_argument("--scenarios", default=",".join(POLICIES))
    args = parser.parse_args()
    if args.people > PEOPLE_PER_RUN:
        raise SystemExit(f"at most {PEOPLE_PER_RUN} people (each has an address of its own)")
    chosen = [name for name in args.scenarios.split(",") if name]
    unknown = set(chosen) - set(POLICIES)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")

    began = time.monotonic()
    env = {k: v for k, v in bench_environment().items() if k not in GENEROUS_RATES}
    admin_password = with_admin(env, ADMIN)
    database_url = env["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    report: dict[str, Any] = {
        "benchmark": "fairness of a release",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "setup": {
            "seats": args.seats,
            "people": args.people,
            "bots": args.bots,
            "identities_per_bot": args.identities,
            "addresses_per_bot": args.bot_addresses,
            "people_arrive_within_s": ARRIVALS_SECONDS,
            "protections": "as deployed (rate limits at their defaults)",
        },
        "goals": {"draw": {"bot_seat_share_over_requester_share": "<= 1.0", "people_served_share": "1.0"}},
        "scenarios": {},
    }
    with server_process(env, log_name="bench-fairness.log") as (base, _):
        for name in chosen:
            print(f"scenario: {name}", file=sys.stderr)
            report["scenarios"][name] = asyncio.run(scenario(name, base, admin_password, database_url, args, env))
    report["bench_seconds"] = round(time.monotonic() - began, 1)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
