"""The honest traffic of the hostile-load bench, at fixed rates whatever the server's speed (an open loop:
a slow server gets no respite, as with real citizens): searches and bookings from citizens' addresses,
two desks calling and serving walk-ins issued at a kiosk, a display's `board` subscription, and a trivial
query from an address of its own. Every document is the one the real client sends."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from bench.hostile_city import STAFF_BLOCK, City
from bench.hostile_net import Clients, Tally, bound_client, latency, loopback
from bench.screens import BOARD
from kiosk_client.api import ISSUE_TICKET
from tests.support.front_desk import CALL_NEXT, move_document
from tests.support.live import Socket, socket

CITIZEN_BLOCK = 10  # 127.10.x.x: the citizens who search
CITIZENS = 200
BOOKER_BLOCK = 20  # 127.20.x.x: one address per booking, so the mix never meets a per-address booking limit
PROBE_BLOCK = 2  # 127.2.0.1: the trivial query "from another address"
TRIVIAL = {"query": "{ __typename }"}
PROBE_EVERY = 0.25
# web/shared/booking.js: the citizen's page searching a procedure, and booking (web/booking/book.js)
EARLIEST = """query($s: ID!) { earliestSlots(serviceId: $s, limit: 12) {
  id startsAt remaining office { id name address timezone } } }"""
AVAILABILITY = """query($s: ID!, $f: Date!, $t: Date!, $o: ID) {
  availability(serviceId: $s, from: $f, to: $t, officeId: $o) {
    date office { id name address timezone } slots { id startsAt remaining } } }"""
BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
  ... on BookingConfirmation { manageToken booking { id code status startsAt endsAt qrCode
    citizen { name email documentHint } service { id name description durationMinutes requiredDocuments }
    office { id name address timezone } ticket { id } } }
  ... on UserError { code message }
  ... on ValidationError { field }
  ... on SlotUnavailable { alternatives { id startsAt remaining office { id name address timezone } } } } }"""
DAYS_SHOWN = 14


@dataclass(frozen=True)
class Rates:
    # light enough to leave a one-process server most of its time even on a busy two-core machine, so that
    # what an attack adds shows, rather than the queue the mix would build on its own
    searches: float = 4.0  # per second, from citizens' addresses
    bookings: float = 0.5  # per second, each from an address of its own
    desk_cycles: float = 0.25  # per desk and second: a walk-in issued, called, started and completed
    timeout: float = 10.0  # seconds an honest request may take before it counts as failed


@dataclass
class Display:
    """A display's board subscription: when each called number first showed, against when the desk sent
    its call (what the citizen waits for from the clerk's key; the board may change before the desk has
    its answer, so that measured from the answer it can be negative)."""

    shown: dict[str, float] = field(default_factory=dict)
    called: dict[str, float] = field(default_factory=dict)
    trouble: str | None = None

    async def read(self, board: Socket) -> None:
        try:
            while True:
                for call in (await board.next("board", seconds=3600))["board"]["recentCalls"]:
                    self.shown.setdefault(call["number"], time.time())
        except Exception as error:  # a closed or refused socket ends the watch; the report says why
            self.trouble = f"{type(error).__name__}: {error}"[:200]

    def figures(self) -> dict[str, Any]:
        waits = [(self.shown[n] - at) * 1000 for n, at in self.called.items() if n in self.shown]
        return (
            latency(waits)
            | {"calls": len(self.called), "never_shown": len(self.called) - len(waits)}
            | ({"trouble": self.trouble} if self.trouble else {})
        )


class Mix:
    def __init__(self, base: str, city: City, rates: Rates, database_url: str, run_tag: str) -> None:
        self.base = base
        self.city = city
        self.rates = rates
        self.database_url = database_url
        self.run_tag = run_tag
        self.citizens = Clients(base, rates.timeout)
        self.staff = bound_client(base, loopback(STAFF_BLOCK, 1), rates.timeout, connections=8)
        self.probe = bound_client(base, loopback(PROBE_BLOCK, 0), 5, connections=1)
        self.rng = random.Random(13)
        self.slots = self.rng.sample(city.honest_slots, len(city.honest_slots))
        self.bookings = 0  # across phases: addresses and documents never repeat within a run

    async def aclose(self) -> None:
        await self.citizens.aclose()
        await self.staff.aclose()
        await self.probe.aclose()

    async def reconnect(self) -> None:
        """After the server restarted: kept connections to the old process would fail once each."""
        await self.aclose()
        self.staff = bound_client(self.base, loopback(STAFF_BLOCK, 1), self.rates.timeout, connections=8)
        self.probe = bound_client(self.base, loopback(PROBE_BLOCK, 0), 5, connections=1)

    async def phase(self, seconds: float) -> dict[str, Any]:
        """The mix for `seconds`, with its figures."""
        tallies = {kind: Tally() for kind in ("search", "book", "kiosk", "desk")}
        probe, display = Tally(), Display()
        sql: list[float] = []
        async with self._display(display):
            deadline = time.monotonic() + seconds  # once the display watches, which may take a while
            await asyncio.gather(
                paced(self.rates.searches, deadline, lambda: self._search(tallies["search"])),
                paced(self.rates.bookings, deadline, lambda: self._book(tallies["book"])),
                *(self._desk(desk, deadline, tallies, display) for desk in self.city.desks),
                self._probe(deadline, probe),
                self._sql(deadline, sql),
            )
            await asyncio.sleep(1)  # the last calls reach the board
        mix = Tally()
        for tally in tallies.values():
            mix.merge(tally)
        trivial = probe.figures()
        return {
            "mix": mix.figures(),
            "by_request": {kind: tally.figures() for kind, tally in tallies.items()},
            "display_update": display.figures(),
            "trivial_from_another_address": trivial
            | {"under_1s": bool(trivial["count"]) and trivial["failed"] == 0 and trivial["max_ms"] < 1000},
            "sql_select_1": latency(sql),
        }

    @contextlib.asynccontextmanager
    async def _display(self, display: Display) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.rates.timeout), contextlib.AsyncExitStack() as opening:
                board = await opening.enter_async_context(socket(self.base, self.city.display))
                await board.subscribe("board", BOARD, {"o": self.city.office_id})
                watched = opening.pop_all()
        except Exception as error:  # the server may be too busy even to open it: the mix goes on
            display.trouble = f"could not subscribe: {type(error).__name__}"
            yield
            return
        reader = asyncio.create_task(display.read(board))
        try:
            yield
        finally:
            reader.cancel()
            with contextlib.suppress(Exception):
                await watched.aclose()

    async def _search(self, tally: Tally) -> None:
        client = self.citizens.at(loopback(CITIZEN_BLOCK, self.rng.randrange(CITIZENS)))
        office, service = self.rng.choice(self.city.offerings)
        if self.rng.random() < 0.5:
            await tally.send(client, {"query": EARLIEST, "variables": {"s": service}})
            return
        first = date.today() + timedelta(days=1)
        days = {"f": first.isoformat(), "t": (first + timedelta(days=DAYS_SHOWN - 1)).isoformat()}
        await tally.send(client, {"query": AVAILABILITY, "variables": {"s": service, "o": office, **days}})

    async def _book(self, tally: Tally) -> None:
        number = self.bookings
        self.bookings += 1
        citizen = {"name": f"Citizen {number}", "documentId": f"{self.run_tag}{number:06d}"}
        slot = self.slots[number % len(self.slots)]
        async with bound_client(self.base, loopback(BOOKER_BLOCK, number), self.rates.timeout, 1) as client:
            await tally.send(client, {"query": BOOK, "variables": {"i": {"slotId": slot, "citizen": citizen}}})

    async def _desk(self, desk: str, deadline: float, tallies: dict[str, Tally], display: Display) -> None:
        """A kiosk issues a walk-in, the desk calls the next citizen, serves and completes them; at the
        desk's pace, or slower when the server is slow."""
        city = self.city
        kiosk = {"Authorization": f"Bearer {city.kiosk}"}
        clerk = {"Authorization": f"Bearer {city.clerk}"}
        period = 1 / self.rates.desk_cycles
        while (began := time.monotonic()) < deadline:
            issue = {"o": city.office_id, "s": city.walk_in, "p": "STANDARD"}
            await tallies["kiosk"].send(self.staff, {"query": ISSUE_TICKET, "variables": issue}, kiosk)
            sent = time.time()
            called = await tallies["desk"].send(self.staff, {"query": CALL_NEXT, "variables": {"d": desk}}, clerk)
            ticket = answer(called, "callNext")
            if ticket.get("__typename") == "Ticket":
                display.called[ticket["number"]] = sent
                for move in ("startService", "completeTicket"):
                    body = {"query": move_document(move), "variables": {"t": ticket["id"]}}
                    await tallies["desk"].send(self.staff, body, clerk)
            await asyncio.sleep(max(0.0, began + period - time.monotonic()))

    async def _probe(self, deadline: float, tally: Tally) -> None:
        while (began := time.monotonic()) < deadline:
            await tally.send(self.probe, TRIVIAL)
            await asyncio.sleep(max(0.0, began + PROBE_EVERY - time.monotonic()))

    async def _sql(self, deadline: float, milliseconds: list[float]) -> None:
        """The database alone, beside the API: whether the machine or the API process is what slowed."""
        conn = await asyncpg.connect(self.database_url)
        try:
            while (began := time.monotonic()) < deadline:
                started = time.perf_counter()
                await conn.fetchval("SELECT 1")
                milliseconds.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(max(0.0, began + PROBE_EVERY - time.monotonic()))
        finally:
            await conn.close()


def answer(response: httpx.Response | None, field_name: str) -> dict[str, Any]:
    """The root field of a successful answer, else {}."""
    if response is None or response.status_code != 200:
        return {}
    data = response.json().get("data") or {}
    root = data.get(field_name)
    return root if isinstance(root, dict) else {}


async def paced(rate: float, deadline: float, start: Callable[[], Awaitable[None]]) -> None:
    """`rate` requests a second until the deadline, each started on time whether or not the earlier ones
    have been answered; then waits for them (each is bounded by its client's timeout)."""
    began = time.monotonic()
    running: list[asyncio.Task[None]] = []
    sent = 0
    while (now := time.monotonic()) < deadline:
        due = began + sent / rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        running.append(asyncio.ensure_future(start()))
        sent += 1
    await asyncio.gather(*running)
