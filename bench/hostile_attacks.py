"""The attackers of bench/hostile.py, each run as a process of its own so that its work does not slow the
bench's measuring of the honest clients (only the server, as a real attacker's would):

    python -m bench.hostile_attacks PLAN_JSON

PLAN_JSON is a `Plan`. Prints {"ready": ...} once the attack is under way (for the websockets: once every
socket has been tried), then attacks until SIGUSR1 or its own deadline, and prints its report: what it
sent, and how much of that was served, refused (4xx, a typed refusal, a closed socket) or failed
(timeouts, 5xx). Every attacker comes from 127.66.x.x, never from an address of the honest clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from subprocess import PIPE
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from bench.common import ROOT
from bench.hostile_net import FAILING_CODES, Tally, bound_client, loopback
from kiosk_client.api import TICKET_UPDATES
from tests.support.live import websocket_url

ATTACKERS = 66  # 127.66.x.x
CYCLIC = "{ offices { services { offices { services { offices { id } } } } } }"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }"
BOOK = "mutation($i: BookInput!) { book(input: $i) { __typename } }"
KINDS = ("cyclic", "logins", "sockets", "bot")
OPENING_AT_ONCE = 100


@dataclass
class Plan:
    kind: str
    base: str
    seconds: float  # the attacker's own deadline, should nobody stop it
    run_tag: str
    timeout: float = 15.0
    cyclic_clients: int = 3
    login_rate: float = 40.0
    login_in_flight: int = 100  # a bound on what the sprayer has waiting, so that its load stays bounded
    victim: str = ""
    sockets: int = 2000
    socket_addresses: int = 10
    idle_share: float = 0.5  # these never send connection_init; the others follow a ticket
    subscriptions_per_socket: int = 2
    ticket: str = ""
    bot_clients: int = 4
    bot_addresses: int = 1
    bot_slots: list[str] = field(default_factory=list)


def address(kind: str, number: int) -> str:
    return loopback(ATTACKERS, KINDS.index(kind) * 1000 + number)


def ready(**what: Any) -> None:
    print(json.dumps({"ready": True, **what}), flush=True)


async def cyclic(plan: Plan, stop: asyncio.Event) -> dict[str, Any]:
    """A few anonymous clients sending the cyclic query back to back (after a timeout: again)."""
    tally = Tally()
    ready()

    async def one(number: int) -> None:
        async with bound_client(plan.base, address("cyclic", number), plan.timeout, 1) as client:
            while not stop.is_set():
                await tally.send(client, {"query": CYCLIC})

    await until(stop, *(one(n) for n in range(plan.cyclic_clients)))
    return tally.figures()


async def logins(plan: Plan, stop: asyncio.Event) -> dict[str, Any]:
    """A sprayer at a steady rate from one address: invented usernames, and every fifth guess at a real one."""
    tally = Tally()
    skipped = 0
    in_flight: set[asyncio.Task[Any]] = set()
    ready()
    async with bound_client(plan.base, address("logins", 0), plan.timeout, plan.login_in_flight) as client:
        began = time.monotonic()
        attempt = 0
        while not stop.is_set():
            await wait_or_stop(stop, began + attempt / plan.login_rate - time.monotonic())
            if stop.is_set():
                break
            username = plan.victim if attempt % 5 == 0 else f"staff{plan.run_tag}{attempt}"
            body = {"query": LOGIN, "variables": {"u": username, "p": f"Guess-{attempt}-{plan.run_tag}"}}
            if len(in_flight) >= plan.login_in_flight:
                skipped += 1
            else:
                task = asyncio.ensure_future(tally.send(client, body))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            attempt += 1
        for task in in_flight:
            task.cancel()
    return tally.figures() | {"not_sent_attacker_backlog": skipped}


async def bot(plan: Plan, stop: asyncio.Event) -> dict[str, Any]:
    """A booking bot: a tight loop of `book` with invented documents, from one or a few addresses, over the
    free slots of some procedures (a slot is dropped once it is full)."""
    tally = Tally()
    slots = list(plan.bot_slots)
    attempts = 0
    ready(slots=len(slots))

    async def one(number: int) -> None:
        nonlocal attempts
        at = address("bot", number % plan.bot_addresses)
        async with bound_client(plan.base, at, plan.timeout, 1) as client:
            while not stop.is_set() and slots:
                slot = slots[attempts % len(slots)]
                citizen = {"name": f"Bot {attempts}", "documentId": f"B{plan.run_tag}{attempts:07d}"}
                attempts += 1
                response = await tally.send(
                    client, {"query": BOOK, "variables": {"i": {"slotId": slot, "citizen": citizen}}}
                )
                if response is not None and "SlotUnavailable" in response.text and slot in slots:
                    slots.remove(slot)

    await until(stop, *(one(n) for n in range(plan.bot_clients)))
    return tally.figures() | {"slots_left": len(slots)}


@dataclass
class Sockets:
    """What became of the attack's websockets."""

    handshakes: Counter[str] = field(default_factory=Counter)
    inits: Counter[str] = field(default_factory=Counter)
    subscriptions: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    open: list[ClientConnection] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        still_open = sum(1 for c in self.open if c.close_code is None)
        closes = Counter(str(c.close_code) for c in self.open if c.close_code is not None)
        refused = sum(n for what, n in self.handshakes.items() if what.startswith("HTTP")) + sum(closes.values())
        return {
            "served": still_open,
            "refused": refused,
            "failed": sum(
                n for what, n in self.handshakes.items() if what not in {"opened"} and not what.startswith("HTTP")
            ),
            "handshakes": dict(self.handshakes),
            "connection_init": dict(self.inits),
            "subscriptions": dict(self.subscriptions),
            "closed_by_server": dict(closes),
            "messages_received": self.messages,
        }


def subscription_verdict(message: dict[str, Any]) -> str:
    """A subscription's first answer: served (an event), refused (an error with a code of its own: a limit)
    or failed (an internal error, as when the server ran out of database connections)."""
    payload = message.get("payload")
    errors = payload if message["type"] == "error" else (payload or {}).get("errors")
    if message["type"] == "next" and not errors:
        return "served"
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = (first.get("extensions") or {}).get("code")
    return f"{'failed' if code in FAILING_CODES else 'refused'}: {code or first.get('message', '?')[:60]}"


async def sockets(plan: Plan, stop: asyncio.Event) -> dict[str, Any]:
    """Anonymous websockets from a few addresses: some left idle without connection_init, the others
    following one ticket, each with a few subscriptions."""
    found = Sockets()
    readers: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    subscribed = plan.sockets - round(plan.sockets * plan.idle_share)

    async def follow(connection: ClientConnection) -> None:
        try:
            await connection.send(json.dumps({"type": "connection_init", "payload": {}}))
            ack = json.loads(await asyncio.wait_for(connection.recv(), plan.timeout))
        except Exception as error:  # closed, refused or too slow: the close code tells the rest
            found.inits[type(error).__name__] += 1
            return
        found.inits[ack.get("type", "?")] += 1
        try:
            for n in range(plan.subscriptions_per_socket):
                payload = {"query": TICKET_UPDATES, "variables": {"t": plan.ticket}}
                await connection.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
            answered: set[str] = set()
            async for raw in connection:
                message = json.loads(raw)
                found.messages += 1
                if message.get("id") in answered or "id" not in message:
                    continue
                answered.add(message["id"])
                found.subscriptions[subscription_verdict(message)] += 1
        except Exception:  # a closed socket: its close code is in the report
            return

    async def open_one(number: int) -> None:
        async with gate:
            try:
                connection = await connect(
                    websocket_url(plan.base),
                    subprotocols=[Subprotocol("graphql-transport-ws")],
                    local_addr=(address("sockets", number % plan.socket_addresses), 0),
                    open_timeout=plan.timeout,
                    ping_interval=None,
                    close_timeout=1,
                )
            except InvalidStatus as refusal:
                found.handshakes[f"HTTP {refusal.response.status_code}"] += 1
                return
            except Exception as error:  # counted as a failure, whatever it was
                found.handshakes[type(error).__name__] += 1
                return
            found.handshakes["opened"] += 1
            found.open.append(connection)
            if number < subscribed:
                readers.append(asyncio.create_task(follow(connection)))

    started = time.monotonic()
    await asyncio.gather(*(open_one(n) for n in range(plan.sockets)))
    ready(opened=found.handshakes["opened"], seconds_to_open=round(time.monotonic() - started, 1))
    await stop.wait()
    report = found.report()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(c.close() for c in found.open), return_exceptions=True)
    return report


async def until(stop: asyncio.Event, *work: Awaitable[None]) -> None:
    """Runs the attack's loops until they end of themselves, or cancels them once told to stop."""
    tasks = [asyncio.ensure_future(w) for w in work]
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
    if not all(task.done() for task in tasks):
        await stopping
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopping.cancel()


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    if seconds > 0:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass


ATTACKS: dict[str, Callable[[Plan, asyncio.Event], Awaitable[dict[str, Any]]]] = {
    "cyclic": cyclic,
    "logins": logins,
    "sockets": sockets,
    "bot": bot,
}


async def attack(plan: Plan) -> dict[str, Any]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, stop.set)
    loop.call_later(plan.seconds, stop.set)
    began = time.monotonic()
    figures = await ATTACKS[plan.kind](plan, stop)
    return {"kind": plan.kind, "seconds": round(time.monotonic() - began, 1), **figures}


def main() -> None:
    plan = Plan(**json.loads(sys.argv[1]))
    print(json.dumps({"report": asyncio.run(attack(plan))}), flush=True)


class Attacker:
    """An attack running in a process of its own, as the bench drives it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ready: dict[str, Any] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, plan: Plan, ready_seconds: float) -> AsyncIterator[Attacker]:
        """Started, and once it says it is under way (or `ready_seconds` passed: `ready` is then None)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.hostile_attacks", json.dumps(asdict(plan)), cwd=ROOT, stdout=PIPE
        )
        attacker = cls(process)
        try:
            attacker.ready = await attacker.said("ready", ready_seconds)
            yield attacker
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()

    async def stop(self, seconds: float) -> dict[str, Any]:
        """Told to stop: its report, within `seconds`."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGUSR1)
        said = await self.said("report", seconds)
        report: dict[str, Any] = said["report"] if said else {"trouble": "the attacker did not report"}
        return report

    async def said(self, key: str, seconds: float) -> dict[str, Any] | None:
        """Its next line carrying `key`, skipping any other (a late "ready"); None at its end or timeout."""
        assert self.process.stdout
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), left)
            except TimeoutError:
                return None
            if not line:
                return None
            message: dict[str, Any] = json.loads(line)
            if key in message:
                return message
        return None


if __name__ == "__main__":
    main()
