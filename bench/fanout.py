"""Live queue fan-out: N websocket subscribers of one office's queueEvents on one API process.

    .venv/bin/python -m bench.fanout [--sizes 100,1000,5000] [--rounds 8] [--client-processes 2]

For each N, twice in the same run (shared feed on; then off, every subscription executed on its own as
plain strawberry does: the baseline), on a fresh `python main.py serve`: N subscribers of
`queueEvents(officeId) { seq type ticket { number status } desk { name } }`, each with a display's
token, spread over a few subscriber processes (bench/fanout_client.py). Then K rounds, each a
`callNext` over HTTP at a desk of its own; for every subscriber, the time from the moment the answer
arrived to the moment the CALLED event reached its socket (the kernel's receive timestamp), and the
next round once everyone has it. Memory per subscriber: the server's VmRSS with the N subscriptions
live, less before, divided by N.

The API process runs on CPU 0 and the subscriber processes on the other core (--no-pin leaves
it to the scheduler), so that thousands of sockets being read do not take the API's core. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

from bench.common import ROOT, bench_environment, percentile, server_process
from bench.fanout_client import SUBSCRIPTION
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, front_desk
from tests.support.processes import main_py

ADMIN = "fanout-bench-admin"
ADMIN_PASSWORD = "fan-out bench admin password"
API_CPU = 0
SERVICE = "fanout"
# what a desk needs back; a selection that reads more from the database after the publish would wait for
# the fan-out's own reads, so its answer would arrive after (most of) the subscribers' messages
CALL_NEXT = "mutation($d: ID!) { callNext(deskId: $d) { __typename ... on Ticket { id number } } }"
console = Console(stderr=True)
# a subscriber process's answer to "wait" is one line carrying a receive time per socket: at 10,000 subscribers
# over two processes that is ~100 KB, past asyncio's default 64 KiB line limit (LimitOverrunError)
REPORT_LINE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    shared_feed: bool
    subscribers: int
    rounds: int
    client_processes: int
    pin: bool


class Clients:
    """The subscriber processes, driven one command at a time."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def start(cls, base: str, front: FrontDesk, count: int, cpus: str) -> Clients:
        url = base.replace("http://", "ws://", 1) + "/graphql"
        command = [sys.executable, "-m", "bench.fanout_client", url, front.display, front.office_id]
        processes = [
            await asyncio.create_subprocess_exec(
                *command,
                *(["--cpus", cpus] if cpus else []),
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                limit=REPORT_LINE_LIMIT,
            )
            for _ in range(count)
        ]
        return cls(processes)

    async def send(self, process: asyncio.subprocess.Process, command: dict[str, Any]) -> None:
        assert process.stdin
        process.stdin.write(json.dumps(command).encode() + b"\n")
        await process.stdin.drain()

    async def read(self, process: asyncio.subprocess.Process) -> dict[str, Any]:
        assert process.stdout
        line = await process.stdout.readline()
        if not line:
            raise RuntimeError("a subscriber process ended; see its error above")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def open(self, total: int, progress: Progress) -> None:
        task = progress.add_task(f"opening {total} subscriptions", total=total)
        shares = [total // len(self.processes) + (n < total % len(self.processes)) for n in range(len(self.processes))]
        acked = [0] * len(self.processes)

        async def one(number: int, process: asyncio.subprocess.Process) -> None:
            await self.send(process, {"cmd": "open", "count": shares[number]})
            while "open" not in (answer := await self.read(process)):
                acked[number] = answer["acked"]
                progress.update(task, completed=sum(acked))
            acked[number] = shares[number]
            progress.update(task, completed=sum(acked))

        await asyncio.gather(*(one(n, p) for n, p in enumerate(self.processes)))
        progress.remove_task(task)

    async def ask(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        for process in self.processes:
            await self.send(process, command)
        return [await self.read(process) for process in self.processes]

    async def wait(self, seq: int, seconds: float = 60) -> tuple[int, list[float], set[str | None]]:
        """How many subscribers had event `seq` (within `seconds`), their receive times, and its type."""
        answers = await self.ask({"cmd": "wait", "seq": seq, "timeout": seconds})
        times = [t for answer in answers for t in answer["times"]]
        return sum(a["have"] for a in answers), times, {a["type"] for a in answers}

    async def quit(self) -> None:
        for process in self.processes:
            await self.send(process, {"cmd": "quit"})
        for process in self.processes:
            await process.wait()


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def last_seq(api: Api, front: FrontDesk) -> int:
    data = await api.run("query($o: ID!) { board(officeId: $o) { seq } }", {"o": front.office_id}, front.display)
    seq: int = data["board"]["seq"]
    return seq


async def prepare(base: str, rounds: int) -> FrontDesk:
    """An office of its own for this run: a service, a desk per round (each round's call is then one
    event: no desk has to be freed in between), a clerk, a kiosk and a display."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        api = Api(http)
        admin = await api.login(ADMIN, ADMIN_PASSWORD)
        slug = f"fanout-{int(time.time())}"
        desks: dict[str, tuple[str, ...]] = {str(n): (SERVICE,) for n in range(1, rounds + 1)}
        return await front_desk(api, admin, slug=slug, services=(SERVICE,), desks=desks)


async def free_desks(front: FrontDesk, tickets: list[str]) -> None:
    """Once nobody is subscribed: the next case calls at the same desks."""
    for ticket_id in tickets:
        await front.move("markNoShow", ticket_id)


async def measure(base: str, pid: int, front: FrontDesk, case: Case, progress: Progress) -> dict[str, Any]:
    client_cpus = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0) - {API_CPU})) if case.pin else ""
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=120))
        front.api = Api(http)
        called: list[str] = []
        stack.push_async_callback(free_desks, front, called)  # on the way out, after the subscribers quit
        for _ in range(case.rounds):
            await front.issue(SERVICE)  # the citizens the rounds will call
        rss_before = vm_rss_kib(pid)

        clients = await Clients.start(base, front, case.client_processes, client_cpus)
        stack.push_async_callback(clients.quit)
        began = time.monotonic()
        await clients.open(case.subscribers, progress)
        # subscriptions without afterSeq start "from now": one more walk-in until every one has seen it
        for _ in range(10):
            await front.issue(SERVICE)
            seq = await last_seq(front.api, front)
            have, _, _ = await clients.wait(seq, seconds=10)
            if have == case.subscribers:
                break
        else:
            raise RuntimeError(f"only {have} of {case.subscribers} subscriptions went live")
        connect_seconds = time.monotonic() - began
        rss_after = vm_rss_kib(pid)
        received_before = sum(a["received"] for a in await clients.ask({"cmd": "stats"}))

        latencies: list[float] = []
        since_request: list[float] = []
        round_trips: list[float] = []
        task = progress.add_task(f"{case.rounds} rounds", total=case.rounds)
        for desk in range(1, case.rounds + 1):
            sent = time.time()
            ticket = (await front.api.run(CALL_NEXT, {"d": front.desks[str(desk)]}, front.clerk))["callNext"]
            answered = time.time()
            assert ticket["__typename"] == "Ticket", ticket
            called.append(ticket["id"])
            round_trips.append((answered - sent) * 1000)
            seq += 1  # nobody else acts at this office: the call is the next event
            _, times, kinds = await clients.wait(seq)  # the next round starts once this burst is delivered
            assert kinds == {"CALLED"}, kinds
            latencies += [(t - answered) * 1000 for t in times]
            since_request += [(t - sent) * 1000 for t in times]
            progress.advance(task)
        progress.remove_task(task)
        stats = await clients.ask({"cmd": "stats"})

    ordered, from_request = sorted(latencies), sorted(since_request)
    return {
        "subscribers": case.subscribers,
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
        "from_request_p50_ms": round(statistics.median(from_request), 1),
        "from_request_p99_ms": round(percentile(from_request, 0.99), 1),
        "call_next_round_trip_p50_ms": round(statistics.median(round_trips), 1),
        "messages_received": sum(a["received"] for a in stats) - received_before,
        "messages_expected": case.rounds * case.subscribers,
        "out_of_order": sum(a["out_of_order"] for a in stats),
        "errors": [e for a in stats for e in a["errors"]][:5],
        "seconds_to_open_all": round(connect_seconds, 1),
        "server_rss_mib_before": round(rss_before / 1024, 1),
        "server_rss_mib_after": round(rss_after / 1024, 1),
        "memory_per_subscriber_kib": round((rss_after - rss_before) / case.subscribers, 1),
    }


async def run_case(env: dict[str, str], front: FrontDesk, case: Case, progress: Progress) -> dict[str, Any]:
    mode = {"TURNERO_QUEUE_SHARED_FEED": "1" if case.shared_feed else "0"}
    with server_process(env | mode) as (base, process):
        if case.pin:
            os.sched_setaffinity(process.pid, {API_CPU})
        return await measure(base, process.pid, front, case, progress)


def raise_open_files() -> int:
    """Every subscriber is a socket on each side: the server and the subscriber processes inherit this."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def ratio(baseline: float, shared: float) -> float:
    return round(baseline / shared, 2) if shared > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000", help="numbers of subscribers, comma-separated")
    parser.add_argument("--rounds", type=int, default=8, help="callNext rounds per size and mode")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--no-pin", action="store_true", help="do not put the API on CPU 0 and subscribers apart")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    pin = not args.no_pin and len(os.sched_getaffinity(0)) > 1
    open_files = raise_open_files()
    if max(sizes) + 1000 > open_files:
        raise SystemExit(f"RLIMIT_NOFILE allows {open_files} files; lower --sizes")

    env = bench_environment()
    created = main_py("create-admin", ADMIN, env=env | {"TURNERO_ADMIN_PASSWORD": ADMIN_PASSWORD})
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    with server_process(env) as (base, _):
        front = asyncio.run(prepare(base, args.rounds))

    results: dict[str, dict[str, Any]] = {"shared_feed": {}, "per_subscriber": {}}
    with Progress(console=console, transient=True) as progress:
        for size in sizes:
            for shared in (True, False):
                mode = "shared_feed" if shared else "per_subscriber"
                progress.console.log(f"{size} subscribers, {mode.replace('_', ' ')}")
                case = Case(shared, size, args.rounds, args.client_processes, pin)
                results[mode][str(size)] = asyncio.run(run_case(env, front, case, progress))

    report = {
        "benchmark": "live queue fan-out",
        "subscription": SUBSCRIPTION,
        "rounds": args.rounds,
        "setup": {
            "api_processes": 1,
            "api_cpu": API_CPU if pin else None,
            "subscriber_processes": args.client_processes,
            "subscriber_cpus": sorted(os.sched_getaffinity(0) - {API_CPU}) if pin else None,
            "receive_time": "kernel timestamp of the message reaching the subscriber's socket (SO_TIMESTAMPNS)",
            "latency_from": "callNext's HTTP response arriving at the client",
        },
        **results,
        "per_subscriber_over_shared_feed": {
            str(size): {
                figure: ratio(results["per_subscriber"][str(size)][key], results["shared_feed"][str(size)][key])
                for figure, key in (
                    ("p50", "p50_ms"),
                    ("p99", "p99_ms"),
                    ("memory_per_subscriber", "memory_per_subscriber_kib"),
                )
            }
            for size in sizes
        },
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
