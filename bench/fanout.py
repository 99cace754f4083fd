"""Live queue fan-out: N websocket subscribers of one office's queueEvents on one API process.

    .venv/bin/python -m bench.fanout [--sizes 100,1000,5000] [--rounds 8] [--client-processes 2]
        [--modes direct,task,per-subscriber] [--api-processes 1] [--per-socket 1] [--short]

For each N, once per mode in the same run, on a fresh `python main.py serve`: "direct", the shared feed
writing each event's frame to the sockets itself (as `serve` runs); "task", the shared feed with every
subscriber's own task sending it through Starlette and uvicorn (TURNERO_QUEUE_DIRECT_WRITE=0, the way
before issue 18); "per-subscriber", every subscription executed on its own as plain strawberry does
(TURNERO_QUEUE_SHARED_FEED=0). N subscribers of
`queueEvents(officeId) { seq type ticket { number status } desk { name } }`, each with a display's
token, spread over a few subscriber processes (bench/fanout_client.py). Then K rounds, each a
`callNext` over HTTP at a desk of its own; for every subscriber, the time from the moment the answer
arrived to the moment the CALLED event reached its socket (the kernel's receive timestamp), and the
next round once everyone has it. Memory per subscriber: the server's VmRSS with the N subscriptions
live, less before, divided by N.

The API process runs on CPU 0 and the subscriber processes on the other core (--no-pin leaves
it to the scheduler), so that thousands of sockets being read do not take the API's core. With
--api-processes K, K `serve` processes each hold N subscribers (K * N in all, the subscriber processes
split between them; the desk's call goes to the first, the others hear it over Redis as in production);
the API processes then take one CPU each in turn and the subscriber processes are not pinned. With
--per-socket K each socket carries K subscriptions of the office (N / K sockets): for more subscribers on one
process than it may hold open files (each subscription still gets its own frame of each event, under its own
id). --short is the CI check (20 subscribers, 2 rounds, every mode). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import AsyncExitStack, ExitStack
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


MODES = {
    "direct": {"TURNERO_QUEUE_SHARED_FEED": "1", "TURNERO_QUEUE_DIRECT_WRITE": "1"},
    "task": {"TURNERO_QUEUE_SHARED_FEED": "1", "TURNERO_QUEUE_DIRECT_WRITE": "0"},
    "per-subscriber": {"TURNERO_QUEUE_SHARED_FEED": "0"},
}


@dataclass(frozen=True)
class Case:
    mode: str
    api_processes: int
    subscribers: int
    rounds: int
    client_processes: int
    pin: bool
    per_socket: int = 1


class Clients:
    """The subscriber processes, driven one command at a time."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def start(cls, bases: list[str], front: FrontDesk, count: int, cpus: str, per_socket: int = 1) -> Clients:
        """`count` subscriber processes, the n-th subscribing at the (n mod K)-th of the K API processes,
        `per_socket` subscriptions on each of their sockets."""
        urls = [base.replace("http://", "ws://", 1) + "/graphql" for base in bases]
        processes = [
            await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "bench.fanout_client", urls[n % len(urls)], front.display, front.office_id],
                *(["--cpus", cpus] if cpus else []),
                *(["--per-socket", str(per_socket)] if per_socket > 1 else []),
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                limit=REPORT_LINE_LIMIT,
            )
            for n in range(count)
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
        """`total` sockets, shared out between the subscriber processes."""
        task = progress.add_task(f"opening {total} sockets", total=total)
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


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user and system (the kernel's send to each socket is system time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def measure(
    bases: list[str], pids: list[int], front: FrontDesk, case: Case, progress: Progress
) -> dict[str, Any]:
    base = bases[0]
    pinned_apart = case.pin and case.api_processes == 1
    client_cpus = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0) - {API_CPU})) if pinned_apart else ""
    total = case.subscribers * case.api_processes
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=120))
        front.api = Api(http)
        called: list[str] = []
        stack.push_async_callback(free_desks, front, called)  # on the way out, after the subscribers quit
        for _ in range(case.rounds):
            await front.issue(SERVICE)  # the citizens the rounds will call
        rss_before = [vm_rss_kib(pid) for pid in pids]

        processes = max(case.client_processes, case.api_processes)
        clients = await Clients.start(bases, front, processes, client_cpus, case.per_socket)
        stack.push_async_callback(clients.quit)
        began = time.monotonic()
        await clients.open(total // case.per_socket, progress)
        # subscriptions without afterSeq start "from now": one more walk-in until every one has seen it
        for _ in range(10):
            await front.issue(SERVICE)
            seq = await last_seq(front.api, front)
            have, _, _ = await clients.wait(seq, seconds=10)
            if have == total:
                break
        else:
            raise RuntimeError(f"only {have} of {total} subscriptions went live")
        connect_seconds = time.monotonic() - began
        rss_after = [vm_rss_kib(pid) for pid in pids]
        received_before = sum(a["received"] for a in await clients.ask({"cmd": "stats"}))

        latencies: list[float] = []
        since_request: list[float] = []
        round_trips: list[float] = []
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
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
        cpu_rounds = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        stats = await clients.ask({"cmd": "stats"})

    ordered, from_request = sorted(latencies), sorted(since_request)
    return {
        "subscribers": total,
        "sockets": total // case.per_socket,
        "api_processes": case.api_processes,
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
        "from_request_p50_ms": round(statistics.median(from_request), 1),
        "from_request_p99_ms": round(percentile(from_request, 0.99), 1),
        "call_next_round_trip_p50_ms": round(statistics.median(round_trips), 1),
        # the API processes' CPU time over the rounds (the calls and the fan-out), per message delivered:
        # what a subscriber costs, less disturbed by other load on the machine than the latencies
        "server_cpu_us_per_message": round(cpu_rounds / (case.rounds * total) * 1e6, 1),
        "messages_received": sum(a["received"] for a in stats) - received_before,
        "messages_expected": case.rounds * total,
        "out_of_order": sum(a["out_of_order"] for a in stats),
        "errors": [e for a in stats for e in a["errors"]][:5],
        "seconds_to_open_all": round(connect_seconds, 1),
        "server_rss_mib_before": round(sum(rss_before) / 1024, 1),
        "server_rss_mib_after": round(sum(rss_after) / 1024, 1),
        "memory_per_subscriber_kib": round((sum(rss_after) - sum(rss_before)) / total, 1),
    }


async def run_case(env: dict[str, str], front: FrontDesk, case: Case, progress: Progress) -> dict[str, Any]:
    cpus = sorted(os.sched_getaffinity(0))
    with ExitStack() as stack:
        servers = [
            stack.enter_context(server_process(env | MODES[case.mode], log_name=f"bench-serve-{n}.log"))
            for n in range(case.api_processes)
        ]
        if case.pin:
            for n, (_, process) in enumerate(servers):
                os.sched_setaffinity(process.pid, {API_CPU if case.api_processes == 1 else cpus[n % len(cpus)]})
        return await measure([base for base, _ in servers], [p.pid for _, p in servers], front, case, progress)


def raise_open_files(needed: int = 0) -> int:
    """Every subscriber is a socket on each side: the server and the subscriber processes inherit this. The hard
    limit is raised too where this may (as root, up to the kernel's fs.nr_open)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if needed > hard:
        with contextlib.suppress(ValueError, OSError):
            ceiling = int(Path("/proc/sys/fs/nr_open").read_text())
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, ceiling), min(needed, ceiling)))
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
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--api-processes", type=int, default=1, help="serve processes, each with --sizes subscribers")
    parser.add_argument("--per-socket", type=int, default=1, help="subscriptions on each socket (divides every size)")
    parser.add_argument("--short", action="store_true", help="the CI check: 20 subscribers, 2 rounds, every mode")
    args = parser.parse_args()
    if args.short:
        args.sizes, args.rounds, args.modes = "20", 2, ",".join(MODES)
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.per_socket < 1 or any(size % args.per_socket for size in sizes):
        raise SystemExit("--per-socket must divide every size")
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        raise SystemExit(f"unknown modes: {', '.join(sorted(unknown))}")
    pin = not args.no_pin and len(os.sched_getaffinity(0)) > 1
    # each API process holds its N subscribers' sockets; no subscriber process holds more
    needed = max(sizes) // args.per_socket + 1000
    open_files = raise_open_files(needed)
    if needed > open_files:
        raise SystemExit(
            f"RLIMIT_NOFILE allows {open_files} files, {needed} are needed: lower --sizes, or raise the hard limit"
            " (ulimit -Hn, which needs CAP_SYS_RESOURCE)"
        )

    env = bench_environment()
    created = main_py("create-admin", ADMIN, env=env | {"TURNERO_ADMIN_PASSWORD": ADMIN_PASSWORD})
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    with server_process(env) as (base, _):
        front = asyncio.run(prepare(base, args.rounds))

    results: dict[str, dict[str, Any]] = {mode: {} for mode in modes}
    with Progress(console=console, transient=True) as progress:
        for size in sizes:
            for mode in modes:
                progress.console.log(f"{size} subscribers x {args.api_processes} API processes, {mode}")
                case = Case(mode, args.api_processes, size, args.rounds, args.client_processes, pin, args.per_socket)
                results[mode][str(size)] = asyncio.run(run_case(env, front, case, progress))

    report = {
        "benchmark": "live queue fan-out",
        "subscription": SUBSCRIPTION,
        "rounds": args.rounds,
        "setup": {
            "api_processes": args.api_processes,
            "subscribers_per_api_process": sizes,
            "subscriptions_per_socket": args.per_socket,
            "api_cpu": (API_CPU if args.api_processes == 1 else "one each, in turn") if pin else None,
            "subscriber_processes": max(args.client_processes, args.api_processes),
            "subscriber_cpus": sorted(os.sched_getaffinity(0) - {API_CPU}) if pin and args.api_processes == 1 else None,
            "receive_time": "kernel timestamp of the message reaching the subscriber's socket (SO_TIMESTAMPNS)",
            "latency_from": "callNext's HTTP response arriving at the client",
        },
        **results,
        # each other mode's figure over the direct writes' (the way `serve` runs), at each size
        "over_direct": {
            mode: {
                str(size): {
                    figure: ratio(results[mode][str(size)][key], results["direct"][str(size)][key])
                    for figure, key in (
                        ("p50", "p50_ms"),
                        ("p99", "p99_ms"),
                        ("memory_per_subscriber", "memory_per_subscriber_kib"),
                    )
                }
                for size in sizes
            }
            for mode in modes
            if mode != "direct" and "direct" in modes
        },
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
