"""The release morning (issue 18): N citizens search, hold and book a new release at once on two `serve`
processes, while 1,000 waiting-room screens follow their office's queue.

    .venv/bin/python -m bench.release [--citizens 1000] [--displays 1000] [--seats N] [--challenge-policy ADAPTIVE]

Each citizen has a loopback address of its own (127.B.x.y: to the server, a caller of its own) and one of the two
processes, and does what the booking page does: `availability` of the procedure over the release's days, a free
slot among the five soonest (everyone wants the earliest), `holdSlot` (solving the ALTCHA challenge where the
procedure's policy asks, at its real CPU cost, as the widget does), `book` with the hold's token. A citizen who
loses a slot searches again, up to ATTEMPTS times; one who finds nothing free goes home. The screens are
`queueEvents` subscribers of the office (bench/fanout_client.py, half on each process), attached before the burst;
a kiosk issues a ticket every TICK_SECONDS during it, so the screens have something to show, and each event's
delivery is timed.

Before the burst, in the same run and on the same two processes: the trivial query `{ __typename }` closed-loop
at the burst's concurrency (the baseline). Afterwards the database's own count: no slot over its capacity, no slot
with more bookings than seats or a `booked` that disagrees with its bookings, nobody twice on one slot. Prints
JSON: completion time, p50/p99 per step, seats sold, double bookings (must be 0) and the burst's requests/s ÷
the trivial query's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from rich.console import Console
from rich.progress import Progress

from bench.common import bench_environment, load, percentile, server_process, with_admin
from bench.fairness_clients import solve
from bench.fanout import Clients, last_seq, raise_open_files
from bench.hostile_net import bound_client, loopback
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, front_desk
from tests.support.metrics import counts_by_label

ADMIN = "release-bench-admin"
ZONE = "America/Argentina/Cordoba"
DAYS = 5
SLOT_MINUTES = 15
ATTEMPTS = 4  # searches a citizen makes before going home
SOONEST = 5  # a citizen picks among the soonest free slots
TICK_SECONDS = 0.5
console = Console(stderr=True)

SEARCH = """query($s: ID!, $o: ID!, $f: Date!, $t: Date!) {
    availability(serviceId: $s, officeId: $o, from: $f, to: $t) { slots { id remaining } } }"""
HOLD = """mutation($s: ID!, $c: String) { holdSlot(slotId: $s, challenge: $c) { __typename
    ... on SlotHold { token }
    ... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { code message } } }"""
BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { booking { code } }
    ... on UserError { code message } } }"""
TRIVIAL = {"query": "{ __typename }"}

# The database's own count for the procedure: each term is a way a seat could have been sold twice.
DOUBLE_BOOKINGS = """
    WITH seats AS (SELECT id, capacity, booked FROM slots WHERE service_id = $1),
         held AS (SELECT slot_id, count(*) AS n, count(DISTINCT document_hash) AS people FROM bookings
                  WHERE service_id = $1 AND status IN ('BOOKED', 'PENDING', 'CHECKED_IN') GROUP BY slot_id)
    SELECT (SELECT count(*) FROM seats WHERE booked > capacity)
         + (SELECT count(*) FROM seats s JOIN held h ON h.slot_id = s.id WHERE h.n > s.capacity OR h.n <> s.booked)
         + (SELECT count(*) FROM held WHERE people < n)
"""
SOLD = "SELECT count(*) FROM bookings WHERE service_id = $1 AND status = 'BOOKED'"
RELEASED = "SELECT coalesce(sum(capacity), 0) FROM slots WHERE service_id = $1"


@dataclass(frozen=True)
class Release:
    front: FrontDesk
    service: str
    first_day: str
    last_day: str
    seats: int


@dataclass
class Citizen:
    steps: dict[str, list[float]] = field(default_factory=lambda: {"availability": [], "hold": [], "book": []})
    challenge_ms: list[float] = field(default_factory=list)
    requests: int = 0
    outcome: str = "gave up"
    answers: Counter[str] = field(default_factory=Counter)


async def prepare(api: Api, admin: str, seats: int, capacity: int, policy: str) -> Release:
    """A new office and procedure whose agenda holds `seats` seats over DAYS days from tomorrow, released at once,
    with a kiosk and a display of its own."""
    tag = secrets.token_hex(3)
    slug = f"release-{tag}"
    front = await front_desk(api, admin, slug=slug, services=(slug,), timezone=ZONE)
    service = front.services[slug]
    await api.service(admin, slug=slug, ticketPrefix="R", challengePolicy=policy, bookingWindowDays=DAYS + 5)
    first = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    last = first + timedelta(days=DAYS - 1)
    slots_per_day = max(1, math.ceil(seats / capacity / DAYS))
    if slots_per_day * SLOT_MINUTES > 14 * 60:
        raise SystemExit("too many seats for the release's days: raise --capacity")
    end = datetime(2000, 1, 1, 7) + timedelta(minutes=slots_per_day * SLOT_MINUTES)
    agenda = await api.agenda(
        admin,
        officeId=front.office_id,
        serviceId=service,
        weekdays=list(range(1, 8)),
        startTime="07:00",
        endTime=end.strftime("%H:%M"),
        slotMinutes=SLOT_MINUTES,
        capacity=capacity,
        validFrom=first.isoformat(),
        validTo=last.isoformat(),
    )
    assert agenda["__typename"] == "Agenda", agenda
    released = await api.release(admin, front.office_id)
    assert released["__typename"] == "ReleaseReport", released
    return Release(front, service, first.isoformat(), last.isoformat(), slots_per_day * DAYS * capacity)


class Shed(Exception):
    """The server turned the request away (HTTP 429, or 503 when it ran past the operation timeout): the
    citizen waits a moment and tries again, as the page does."""


async def post(client: httpx.AsyncClient, who: Citizen, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    who.requests += 1
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code in (429, 503):
        who.answers[f"HTTP {response.status_code}"] += 1
        raise Shed
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"request failed: {response.status_code} {body}")
    data: dict[str, Any] = body["data"]
    return data


async def timed(who: Citizen, step: str, call: Any) -> dict[str, Any]:
    started = time.perf_counter()
    data: dict[str, Any] = await call
    who.steps[step].append((time.perf_counter() - started) * 1000)
    return data


async def hold(client: httpx.AsyncClient, who: Citizen, slot: str) -> dict[str, Any]:
    """holdSlot, solving the challenge and holding again where the procedure asks for one."""
    answer = (await timed(who, "hold", post(client, who, HOLD, {"s": slot, "c": None})))["holdSlot"]
    if answer["__typename"] != "ChallengeRequired":
        return dict(answer)
    started = time.perf_counter()
    payload, _ = await asyncio.to_thread(solve, answer["challenge"])
    answer = (await post(client, who, HOLD, {"s": slot, "c": payload}))["holdSlot"]
    who.challenge_ms.append((time.perf_counter() - started) * 1000)
    return dict(answer)


async def citizen(
    base: str, address: str, number: int, release: Release, rng: random.Random, arrival: float
) -> Citizen:
    who = Citizen()
    await asyncio.sleep(arrival)
    async with bound_client(base, address, timeout=300, connections=1) as client:
        for _ in range(ATTEMPTS):
            try:
                if await attempt(client, who, number, release, rng):
                    return who
            except Shed:
                await asyncio.sleep(rng.uniform(1, 3))
    return who


async def retried(rng: random.Random, request: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """The request, sent again after 1-3 s each time the server sheds it (up to ATTEMPTS times in all)."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await request()
        except Shed:
            await asyncio.sleep(rng.uniform(1, 3))
    return await request()


async def attempt(client: httpx.AsyncClient, who: Citizen, number: int, release: Release, rng: random.Random) -> bool:
    """One search, hold and booking; whether the citizen is done (booked, or found nothing free)."""
    person = {"name": f"Citizen {number}", "documentId": f"8{number:07d}", "email": f"c{number}@example.org"}
    search = {"s": release.service, "o": release.front.office_id, "f": release.first_day, "t": release.last_day}
    days = (await timed(who, "availability", post(client, who, SEARCH, search)))["availability"]
    free = [slot["id"] for day in days for slot in day["slots"] if slot["remaining"] > 0]
    if not free:
        who.outcome = "sold out"
        return True
    slot = rng.choice(free[:SOONEST])
    held = await hold(client, who, slot)
    who.answers[f"hold: {held['__typename']}"] += 1
    if held["__typename"] != "SlotHold":
        return False
    # as the page does: one key per booking attempt, the same on a retry of a shed request, so a booking that
    # committed as its answer was shed is answered the second time instead of refused as the citizen's own
    booking = {"slotId": slot, "citizen": person, "holdToken": held["token"], "idempotencyKey": secrets.token_hex(8)}
    booked = (await timed(who, "book", retried(rng, lambda: post(client, who, BOOK, {"i": booking}))))["book"]
    who.answers[f"book: {booked['__typename']}"] += 1
    if booked["__typename"] == "BookingConfirmation":
        who.outcome = "booked"
        return True
    return False


def figures(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
    }


async def screens(
    bases: list[str], front: FrontDesk, displays: int, progress: Progress, stack: AsyncExitStack
) -> list[Clients]:
    """`displays` subscribers of the office's queue, half on each process, live (each has seen an event)."""
    attached: list[Clients] = []
    for number, base in enumerate(bases):
        share = displays // len(bases) + (number < displays % len(bases))
        if share == 0:
            continue
        clients = await Clients.start([base], front, 1, "")
        stack.push_async_callback(clients.quit)
        await clients.open(share, progress)
        attached.append(clients)
    for _ in range(10):  # subscriptions start "from now": one more walk-in until every screen has seen it
        await front.issue(next(iter(front.services)))
        seq = await last_seq(front.api, front)
        have = [await clients.wait(seq, seconds=10) for clients in attached]
        if sum(h[0] for h in have) == displays:
            return attached
    raise RuntimeError(f"only {sum(h[0] for h in have)} of {displays} screens went live")


async def ticker(front: FrontDesk, done: asyncio.Event) -> list[tuple[int, float]]:
    """A walk-in every TICK_SECONDS until the burst is over: (the event's seq, when it was asked for)."""
    ticks: list[tuple[int, float]] = []
    service = next(iter(front.services))
    while not done.is_set():
        try:
            sent = time.time()  # not its answer's arrival: under load a screen may have the event before the kiosk
            await front.issue(service)
            ticks.append((await last_seq(front.api, front), sent))
        except AssertionError:  # the kiosk, too, may be turned away at the burst's height: no event this tick
            pass
        try:
            await asyncio.wait_for(done.wait(), TICK_SECONDS)
        except TimeoutError:
            pass
    return ticks


async def delivered(attached: list[Clients], ticks: list[tuple[int, float]], displays: int) -> dict[str, Any]:
    """Each walk-in's delivery to every screen, from the moment the kiosk asked for its ticket."""
    latencies: list[float] = []
    missing = 0
    for seq, sent in ticks:
        have = 0
        for clients in attached:
            count, times, _ = await clients.wait(seq, seconds=30)
            have += count
            latencies += [(t - sent) * 1000 for t in times]
        missing += displays - have
    return {"events": len(ticks), "missed_deliveries": missing, **figures(latencies)}


async def counted(database_url: str, service: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        return {
            "seats_released": int(await conn.fetchval(RELEASED, int(service))),
            "seats_sold": int(await conn.fetchval(SOLD, int(service))),
            "double_bookings": int(await conn.fetchval(DOUBLE_BOOKINGS, int(service))),
        }
    finally:
        await conn.close()


async def morning(
    bases: list[str], admin: str, database_url: str, args: argparse.Namespace, progress: Progress
) -> dict[str, Any]:
    """The whole bench against running processes (the first one sets the release up): its report."""
    seats = args.seats if args.seats is not None else args.citizens * 4 // 5
    concurrency = min(args.citizens, args.baseline_concurrency)
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=bases[0], timeout=120))
        api = Api(http)
        release = await prepare(api, admin, seats, args.capacity, args.challenge_policy)

        def trivial(_: int) -> dict[str, Any]:
            return TRIVIAL

        def check(data: dict[str, Any]) -> None:
            assert data["__typename"] == "Query", data

        progress.console.log(f"baseline: {{ __typename }} at {concurrency} clients on {len(bases)} processes")
        per_process = max(1, concurrency // len(bases))
        shares = [
            load(base, trivial, concurrency=per_process, seconds=args.baseline_seconds, check=check) for base in bases
        ]
        baseline_runs = await asyncio.gather(*shares)
        baseline_per_s = sum(run["requests_per_s"] for run in baseline_runs)

        progress.console.log(f"attaching {args.displays} screens")
        attached = await screens(bases, release.front, args.displays, progress, stack) if args.displays else []

        progress.console.log(f"{args.citizens} citizens at once")
        answers_before = await availability_answers(http, bases)
        block = 100 + secrets.randbelow(100)  # addresses of this run's own: no limit carries over from the last
        rng = random.Random(args.seed)
        done = asyncio.Event()
        ticks_task = asyncio.create_task(ticker(release.front, done)) if attached else None
        began = time.perf_counter()
        citizens = await asyncio.gather(
            *(
                citizen(
                    bases[n % len(bases)],
                    loopback(block, n),
                    n,
                    release,
                    random.Random(rng.random()),
                    rng.uniform(0, args.arrival_seconds),
                )
                for n in range(args.citizens)
            )
        )
        seconds = time.perf_counter() - began
        answers_after = await availability_answers(http, bases)
        done.set()
        ticks = await ticks_task if ticks_task else []
        screens_report = await delivered(attached, ticks, args.displays) if attached else {"events": 0}

    database = await counted(database_url, release.service)
    requests = sum(c.requests for c in citizens)
    outcomes = Counter(c.outcome for c in citizens)
    answers: Counter[str] = Counter()
    for c in citizens:
        answers.update(c.answers)
    return {
        "benchmark": "release morning",
        "citizens": args.citizens,
        "displays": args.displays,
        "serve_processes": len(bases),
        "challenge_policy": args.challenge_policy,
        "arrival_seconds": args.arrival_seconds,
        "seats_released": database["seats_released"],
        "completion_seconds": round(seconds, 2),
        "citizens_per_s": round(args.citizens / seconds, 1),
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "steps": {
            "availability": figures([v for c in citizens for v in c.steps["availability"]]),
            "hold": figures([v for c in citizens for v in c.steps["hold"]]),
            "challenge": figures([v for c in citizens for v in c.challenge_ms]),
            "book": figures([v for c in citizens for v in c.steps["book"]]),
        },
        "outcomes": dict(outcomes),
        "answers": dict(sorted(answers.items())),
        "seats_sold": database["seats_sold"],
        "booked_by_citizens": outcomes.get("booked", 0),
        "double_bookings": database["double_bookings"],
        "screens": screens_report,
        "trivial_baseline": {"concurrency": concurrency, "requests_per_s": round(baseline_per_s, 1)},
        "requests_per_s_vs_trivial": round(requests / seconds / baseline_per_s, 3),
        # the burst's cacheable searches on both processes: from the cache, from another caller's computation in
        # the same process, computed (and of those, kept)
        "availability_answers": dict(sorted((answers_after - answers_before).items())),
    }


async def availability_answers(http: httpx.AsyncClient, bases: list[str]) -> Counter[str]:
    """The processes' counts of cacheable availability operations by outcome (turnero_availability_answers)."""
    counts: Counter[str] = Counter()
    for base in bases:
        exposition = (await http.get(f"{base}/metrics")).text
        counts.update(
            {o: int(n) for o, n in counts_by_label(exposition, "turnero_availability_answers", "outcome").items()}
        )
    return counts


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=None, help="seats released (default: 4/5 of the citizens)")
    parser.add_argument("--capacity", type=int, default=4, help="seats per slot")
    parser.add_argument("--challenge-policy", default="ADAPTIVE", choices=("NEVER", "ADAPTIVE", "ALWAYS"))
    parser.add_argument("--arrival-seconds", type=float, default=20, help="citizens arrive within so many seconds")
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--baseline-concurrency", type=int, default=64)
    parser.add_argument("--seed", type=int, default=18)
    return parser.parse_args(argv)


def main() -> None:
    args = arguments()
    if raise_open_files() < args.citizens + args.displays * 2 + 1000:
        raise SystemExit("RLIMIT_NOFILE is too low for so many citizens and screens")
    env = bench_environment()
    password = with_admin(env, ADMIN)
    # the protections as deployed for the challenge (a couple of free bookings a day per address); the other
    # rates stay the suite's generous ones, each citizen being an address of its own anyway
    env = env | {"TURNERO_CHALLENGE_FREE_BOOKINGS": "2"}
    database_url = env["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    with ExitStack() as stack:
        bases = [stack.enter_context(server_process(env, log_name=f"bench-release-{n}.log"))[0] for n in range(2)]

        async def run() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=bases[0], timeout=60) as http:
                admin = await Api(http).login(ADMIN, password)
            with Progress(console=console, transient=True) as progress:
                return await morning(bases, admin, database_url, args, progress)

        report = asyncio.run(run())
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
