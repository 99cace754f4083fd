"""Hostile load: does the API keep serving honest clients while it is attacked, and what do its
protections cost? (issue 13)

    .venv/bin/python -m bench.hostile [--seconds 20] [--quick] [--attacks logins,bot,sockets,cyclic]

On the demo city (its own database, TURNERO_BENCH_DATABASE), one `python main.py serve` (one uvicorn
worker) with the protections as configured, and an office of the bench's own with two desks, a kiosk and
a display. The honest mix (bench/hostile_mix.py: searches and bookings from citizens' loopback addresses,
one address per booking; desks calling and completing walk-ins; the display's `board` subscription; a
trivial query from another address) runs at fixed rates for `--seconds` alone, then again while each
attack runs in a process of its own (bench/hostile_attacks.py): the cyclic query from a few clients, 40
wrong sign-ins a second, 2,000 anonymous websockets, a booking bot. For each: p99 under attack ÷ p99
alone (goal ≤ 2), the attack's requests served and refused, whether the trivial query stayed under 1 s,
and how long the server took to answer briskly again once the attack stopped (bounded; the attacks run
from the mildest to the cyclic query, which unprotected keeps the server busy for minutes).

The cost of the protections: `{ __typename }` throughput (closed loop, from 64 addresses) on a second
`serve` with TURNERO_MAX_QUERY_COST=0 and TURNERO_RATE_LIMITS=0, alternated with the first, in the same
run: on ÷ off, goal ≥ 0.9. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.common import ROOT, bench_environment, seed, server_process, start_server, stop_process
from bench.fanout import raise_open_files
from bench.hostile_attacks import Attacker, Plan
from bench.hostile_city import ADMIN, City, prepare
from bench.hostile_mix import PROBE_BLOCK, TRIVIAL, Mix, Rates
from bench.hostile_net import Tally, bound_client, loopback
from tests.support.processes import GENEROUS_RATES, free_port, main_py

SERVER_LOG = "bench-hostile-on.log"
PROTECTIONS_OFF = {"TURNERO_MAX_QUERY_COST": "0", "TURNERO_RATE_LIMITS": "0"}
THROUGHPUT_BLOCK = 3  # 127.3.x.x: the trivial-throughput clients, many addresses so no caller's bucket runs dry
# as set for the run (absent: their defaults); never the whole environment, which holds secrets
PROTECTION_SETTINGS = (
    *PROTECTIONS_OFF,
    "TURNERO_OPERATION_TIMEOUT_SECONDS",
    "TURNERO_MAX_BODY_BYTES",
    "TURNERO_WS_ANONYMOUS_PER_ADDRESS",
)
ATTACK_ORDER = ("logins", "bot", "sockets", "cyclic")
GOALS = {
    "p99_under_attack_over_alone": "<= 2",
    "trivial_from_another_address": "< 1 s",
    "protections_on_over_off": ">= 0.9",
}


@dataclass(frozen=True)
class Options:
    seconds: float
    attacks: tuple[str, ...]
    rates: Rates
    plan: Plan  # the attacks' settings; kind and base are filled in per attack
    cost_rounds: int
    cost_seconds: float
    cost_concurrency: int
    ready_seconds: float
    recovery_seconds: float
    max_server_rss_mib: int


class Server:
    """The served process under test: its RSS watched, and killed if an attack makes it grow past a bound
    (the cyclic query, unprotected, grows it by gigabytes on a machine others share); restarted on the same
    port when an attack has left it unable to answer, so that the next attack starts from a server at rest."""

    def __init__(self, env: dict[str, str], max_rss_mib: int) -> None:
        self.env = env
        self.port = free_port()
        self.max_rss_mib = max_rss_mib
        self.base, self.process = start_server(env, self.port, log_name=SERVER_LOG)
        self.peak_mib = 0.0
        self.killed: str | None = None

    def restart(self) -> None:
        stop_process(self.process, grace=5)
        self.base, self.process = start_server(self.env, self.port, log_name=SERVER_LOG)
        self.killed = None

    def stop(self) -> None:
        stop_process(self.process, grace=5)

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_mib(self) -> float:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
        return int(line.split()[1]) / 1024

    @contextlib.asynccontextmanager
    async def watched(self) -> AsyncIterator[None]:
        self.peak_mib = self.rss_mib()

        async def watch() -> None:
            while self.alive():
                self.peak_mib = max(self.peak_mib, rss := self.rss_mib())
                if rss > self.max_rss_mib:
                    self.killed = f"killed by the bench at {rss:.0f} MiB (bound {self.max_rss_mib} MiB)"
                    self.process.kill()
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()


async def throughput(base: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """`{ __typename }` back to back by `concurrency` workers, each taking turns over 8 addresses."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    addresses = [[loopback(THROUGHPUT_BLOCK, w * 8 + n) for n in range(8)] for w in range(concurrency)]
    async with contextlib.AsyncExitStack() as stack:
        clients = [[await stack.enter_async_context(bound_client(base, a, 30, 1)) for a in row] for row in addresses]

        async def worker(own: list[httpx.AsyncClient]) -> None:
            sent = 0
            while time.monotonic() < deadline:
                await tally.send(own[sent % len(own)], TRIVIAL)
                sent += 1

        began = time.monotonic()
        await asyncio.gather(*(worker(own) for own in clients))
        elapsed = time.monotonic() - began
    figures = tally.figures()
    return {"served_per_s": round(figures["served"] / elapsed, 1), **figures}


async def protection_cost(off: str, on: str, options: Options) -> dict[str, Any]:
    """Alternated, so that the machine's drift over the minute falls on both alike."""
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for base in (off, on):
        await throughput(base, 1, options.cost_concurrency)  # warm-up
    for _ in range(options.cost_rounds):
        for mode, base in (("off", off), ("on", on)):
            runs[mode].append(await throughput(base, options.cost_seconds, options.cost_concurrency))
    medians = {mode: statistics.median(r["served_per_s"] for r in rounds) for mode, rounds in runs.items()}
    return {
        "query": TRIVIAL["query"],
        "concurrency": options.cost_concurrency,
        "off_env": PROTECTIONS_OFF,
        "off_served_per_s": medians["off"],
        "on_served_per_s": medians["on"],
        "on_over_off": round(medians["on"] / medians["off"], 3) if medians["off"] else None,
        "rounds": runs,
    }


async def recovery(base: str, alone_p99_ms: float, bound: float) -> float | None:
    """Seconds from the attack's end until the trivial query answers briskly (within three times its p99
    alone, at least 100 ms) three times in a row; None if not within `bound`."""
    brisk = max(100.0, 3 * alone_p99_ms)
    began = time.monotonic()
    in_a_row = 0
    async with bound_client(base, loopback(PROBE_BLOCK, 1), 2, 1) as client:
        while time.monotonic() - began < bound:
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", json=TRIVIAL)
                fast = response.status_code == 200 and (time.perf_counter() - started) * 1000 < brisk
            except httpx.HTTPError:
                fast = False
            in_a_row = in_a_row + 1 if fast else 0
            if in_a_row == 3:
                return round(time.monotonic() - began, 1)
            await asyncio.sleep(0.2)
    return None


async def under_attack(kind: str, server: Server, mix: Mix, alone: dict[str, Any], options: Options) -> dict[str, Any]:
    plan = replace(options.plan, kind=kind, base=server.base, seconds=options.ready_seconds + options.seconds + 30)
    result: dict[str, Any] = {}
    async with server.watched(), Attacker.running(plan, options.ready_seconds) as attacker:
        result["attack_ready"] = attacker.ready
        result["under_attack"] = await mix.phase(options.seconds)
        result["attack"] = await attacker.stop(plan.timeout + 15)
        result["recovery_seconds"] = await recovery(
            server.base, alone["trivial_from_another_address"]["p99_ms"], options.recovery_seconds
        )
    result["server_peak_rss_mib"] = round(server.peak_mib, 1)
    if server.killed or result["recovery_seconds"] is None:
        result["server"] = (server.killed or "not recovered") + "; restarted for the next attack"
        await asyncio.to_thread(server.restart)
        await mix.reconnect()
    return result | verdict(alone, result["under_attack"])


def verdict(alone: dict[str, Any], attacked: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for, side by side with its goals."""

    def ratio(key: str) -> float | None:
        before, after = alone[key]["p99_ms"], attacked[key]["p99_ms"]
        return round(after / before, 2) if before and after is not None else None

    p99 = ratio("mix")
    trivial = attacked["trivial_from_another_address"]
    failed = attacked["mix"]["failed"]
    return {
        "p99_under_attack_over_alone": p99,
        # honest requests that timed out count at their timeout: with more than 1 % of them the p99 is the
        # timeout, and the ratio a floor
        "honest_requests_failed": failed,
        "p99_is_the_timeout": failed > attacked["mix"]["count"] / 100,
        "display_p99_under_attack_over_alone": ratio("display_update"),
        "trivial_from_another_address_under_1s": trivial["under_1s"],
        "goals_met": p99 is not None and p99 <= 2 and trivial["under_1s"],
    }


def summary(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "phase": "alone",
            "mix_p50_ms": report["alone"]["mix"]["p50_ms"],
            "mix_p99_ms": report["alone"]["mix"]["p99_ms"],
        }
    ]
    for kind, result in report["attacks"].items():
        attack = result.get("attack", {})
        rows.append(
            {
                "phase": kind,
                "mix_p50_ms": result["under_attack"]["mix"]["p50_ms"],
                "mix_p99_ms": result["under_attack"]["mix"]["p99_ms"],
                "p99_ratio": result["p99_under_attack_over_alone"],
                "honest_failed": result["honest_requests_failed"],
                "attack_served": attack.get("served"),
                "attack_refused": attack.get("refused"),
                "attack_failed": attack.get("failed"),
                "trivial_max_ms": result["under_attack"]["trivial_from_another_address"]["max_ms"],
                "trivial_under_1s": result["trivial_from_another_address_under_1s"],
                "recovery_seconds": result["recovery_seconds"],
                "goals_met": result["goals_met"],
            }
        )
    return rows


async def measure(
    off: str, server: Server, stop_off: Callable[[], None], database_url: str, admin_password: str, options: Options
) -> dict[str, Any]:
    city: City = await prepare(server.base, admin_password, honest_services=40, bot_services=30)
    options = replace(
        options, plan=replace(options.plan, victim=city.victim, ticket=city.held_ticket, bot_slots=city.bot_slots)
    )
    cost = await protection_cost(off, server.base, options)
    await asyncio.to_thread(stop_off)
    mix = Mix(server.base, city, options.rates, database_url, options.plan.run_tag)
    try:
        await mix.phase(min(3.0, options.seconds))  # warm-up: connections, caches, the first bookings
        async with server.watched():
            alone = await mix.phase(options.seconds)
        attacks: dict[str, Any] = {}
        for kind in options.attacks:
            print(f"attack: {kind}", file=sys.stderr)
            attacks[kind] = await under_attack(kind, server, mix, alone, options)
    finally:
        await mix.aclose()
    return {
        "city": {
            "offerings": len(city.offerings),
            "honest_slots": len(city.honest_slots),
            "bot_slots": len(city.bot_slots),
        },
        "protection_cost": cost,
        "alone": alone,
        "attacks": attacks,
        "victim_can_sign_in_after": await victim_signs_in(server, city),
    }


async def victim_signs_in(server: Server, city: City) -> str:
    """The sprayer's target, from its own address, with its right password, after every attack."""
    if not server.alive():
        return "server gone"
    body = {
        "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }",
        "variables": {"u": city.victim, "p": city.victim_password},
    }
    async with bound_client(server.base, loopback(PROBE_BLOCK, 2), 30, 1) as client:
        try:
            return str((await client.post("/graphql", json=body)).json()["data"]["login"]["__typename"])
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as error:
            return f"failed: {type(error).__name__}"


def options_from(args: argparse.Namespace, run_tag: str) -> Options:
    quick = args.quick
    plan = Plan(
        kind="",
        base="",
        seconds=0,
        run_tag=run_tag,
        cyclic_clients=args.cyclic_clients,
        login_rate=args.login_rate,
        sockets=args.sockets if args.sockets is not None else (500 if quick else 2000),
        bot_clients=args.bot_clients,
    )
    return Options(
        seconds=args.seconds if args.seconds is not None else (8 if quick else 20),
        attacks=tuple(kind for kind in args.attacks.split(",") if kind),
        rates=Rates(args.search_rate, args.booking_rate, args.desk_rate, args.request_timeout),
        plan=plan,
        cost_rounds=2 if quick else 5,
        cost_seconds=2 if quick else 3,
        cost_concurrency=8,
        ready_seconds=120,
        recovery_seconds=args.recovery_seconds,
        max_server_rss_mib=args.max_server_rss_mib,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, help="each phase of the honest mix (default 20; --quick 8)")
    parser.add_argument("--quick", action="store_true", help="shorter phases, 500 sockets, fewer cost rounds")
    parser.add_argument(
        "--attacks", default=",".join(ATTACK_ORDER), help="which, in this order ('' for none: the cost and the mix)"
    )
    parser.add_argument("--sockets", type=int, help="anonymous websockets (default 2000; --quick 500)")
    parser.add_argument("--login-rate", type=float, default=40.0, help="wrong sign-ins per second")
    parser.add_argument("--cyclic-clients", type=int, default=3)
    parser.add_argument("--bot-clients", type=int, default=4, help="the booking bot's requests at once")
    parser.add_argument("--search-rate", type=float, default=Rates.searches, help="honest searches per second")
    parser.add_argument("--booking-rate", type=float, default=Rates.bookings, help="honest bookings per second")
    parser.add_argument("--desk-rate", type=float, default=Rates.desk_cycles, help="walk-ins per desk and second")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="an honest request's limit, seconds")
    parser.add_argument("--recovery-seconds", type=float, default=45.0, help="how long to wait for a server to recover")
    parser.add_argument("--max-server-rss-mib", type=int, default=3072, help="the server is killed above this")
    args = parser.parse_args()
    unknown = {kind for kind in args.attacks.split(",") if kind} - set(ATTACK_ORDER)
    if unknown:
        raise SystemExit(f"unknown attacks: {', '.join(sorted(unknown))}")
    open_files = raise_open_files()  # the server, started from here, inherits it
    run_tag = str(secrets.randbelow(900_000) + 100_000)
    admin_password = secrets.token_urlsafe(24)
    options = options_from(args, run_tag)
    if options.plan.sockets + 1000 > open_files:
        raise SystemExit(f"RLIMIT_NOFILE allows {open_files} files; lower --sockets")

    began = time.monotonic()
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # others' work on the machine shows in every figure
    env = bench_environment()
    seed(env)
    created = main_py("create-admin", ADMIN, env=env | {"TURNERO_ADMIN_PASSWORD": admin_password})
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    # the protections as deployed: none of the generous rates the other benches and the tests run with
    on_env = {k: v for k, v in env.items() if k not in PROTECTIONS_OFF and k not in GENEROUS_RATES}
    database_url = make_url(env["DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False)
    plan = options.plan
    (ROOT / "var" / SERVER_LOG).write_text("")
    with server_process(env | PROTECTIONS_OFF, log_name="bench-hostile-off.log") as (off, off_process):
        server = Server(on_env, options.max_server_rss_mib)
        try:
            figures = asyncio.run(
                measure(off, server, lambda: stop_process(off_process), database_url, admin_password, options)
            )
        finally:
            server.stop()
    report = {
        "benchmark": "hostile load",
        "load_average_at_start_and_end": [load_at_start, [round(x, 2) for x in os.getloadavg()]],
        "seconds_per_phase": options.seconds,
        "setup": {
            "api_processes": 1,
            "uvicorn_workers": 1,
            "protections_env": {k: os.environ[k] for k in PROTECTION_SETTINGS if k in os.environ},
            "honest_rates_per_s": {
                "searches": options.rates.searches,
                "bookings": options.rates.bookings,
                "desk_cycles_per_desk": options.rates.desk_cycles,
                "desks": 2,
            },
            "client_addresses": "each client binds its own source address in 127.0.0.0/8 (no X-Forwarded-For): "
            "citizens 127.10.x.x (200), one per booking 127.20.x.x, desks and display 127.1.0.x, "
            "trivial probe 127.2.0.1, attackers 127.66.x.x",
            "attacks": {
                "cyclic": f"{plan.cyclic_clients} clients in a loop",
                "logins": f"{plan.login_rate}/s from one address, at most {plan.login_in_flight} waiting",
                "sockets": f"{plan.sockets} from {plan.socket_addresses} addresses, {plan.idle_share:.0%} idle,"
                f" the others {plan.subscriptions_per_socket} ticketUpdates each",
                "bot": f"{plan.bot_clients} at once from {plan.bot_addresses} address(es)",
            },
        },
        "goals": GOALS,
        **figures,
        "summary": [],
        "bench_seconds": 0.0,
    }
    report["summary"] = summary(report)
    report["bench_seconds"] = round(time.monotonic() - began, 1)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
