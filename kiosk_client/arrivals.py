"""Check-ins and walk-ins, online when the API answers and offline when it does not.

Every arrival is written to the spool with a fresh idempotency key before it is sent. If the API cannot be
reached the citizen gets a number from the block this kiosk reserved while online, and the arrival waits in
the spool; `replay` sends what waits, in order, with the same key, the time the citizen was here and that
number. The server's idempotency makes any replay, even one cut halfway, give the same ticket: exactly once.
While anything waits, new arrivals queue behind it, so the server learns of them in the order they came."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kiosk_client.api import KioskApi, KioskApiError, OfficeInfo, Refusal, ServiceInfo, TicketInfo, Unreachable
from kiosk_client.spool import Arrival, ArrivalKind, Spool

log = logging.getLogger("kiosk_client")


@dataclass(frozen=True, slots=True)
class OfflineTicket:
    """What an offline citizen is told. A walk-in's number is final (`D-007`); a check-in's is its digits
    only (`007`): the kiosk does not know the booking's service, whose letter the screens will add."""

    number: str
    kind: ArrivalKind
    service_name: str | None
    arrived_at: datetime


@dataclass(frozen=True, slots=True)
class OutOfNumbers:
    """Offline, and this kiosk's reserved numbers are used up: the citizen is sent to the information desk."""


Outcome = TicketInfo | OfflineTicket | Refusal | OutOfNumbers


def _office_to_json(office: OfficeInfo) -> str:
    return json.dumps(asdict(office))


def _office_from_json(text: str) -> OfficeInfo:
    data = json.loads(text)
    services = tuple(ServiceInfo(**service) for service in data.pop("services"))
    return OfficeInfo(services=services, **data)


class Arrivals:
    def __init__(
        self,
        api: KioskApi,
        spool: Spool,
        office_id: str,
        *,
        block_size: int = 50,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api = api
        self.spool = spool
        self.office_id = office_id
        self.block_size = block_size
        self.clock = clock
        self.online = True
        self.office: OfficeInfo | None = None
        self._lock = asyncio.Lock()
        cached = spool.recall(f"office:{office_id}")
        if cached is not None:
            self.office = _office_from_json(cached)

    def _today(self) -> date:
        zone = ZoneInfo(self.office.timezone) if self.office else UTC
        return self.clock().astimezone(zone).date()

    async def refresh(self) -> OfficeInfo | None:
        """The office and its services from the API (kept in the spool for a start while offline), and a new
        block of numbers when few are left. Quietly offline when the API does not answer."""
        try:
            self.office = await self.api.office(self.office_id)
            self.online = True
            self.spool.remember(f"office:{self.office_id}", _office_to_json(self.office))
            await self.top_up()
        except Unreachable:
            self.online = False
        return self.office

    async def top_up(self) -> None:
        """A new block of numbers when fewer than half a block is left; a refusal (the daily limit) is logged
        and the kiosk goes on with what it has."""
        if self.spool.numbers_left(self.office_id, self._today()) * 2 > self.block_size:
            return
        try:
            block = await self.api.reserve_numbers(self.block_size)
        except KioskApiError as error:
            log.error("no new block of numbers: %s", error)
            return
        self.spool.add_block(self.office_id, block.day, block.first_number, block.last_number)

    def numbers_left(self) -> int:
        return self.spool.numbers_left(self.office_id, self._today())

    async def check_in(self, code: str) -> Outcome:
        return await self._arrive(ArrivalKind.CHECK_IN, code=code.strip().upper())

    async def walk_in(self, service: ServiceInfo, priority: str = "STANDARD") -> Outcome:
        return await self._arrive(ArrivalKind.WALK_IN, service=service, priority=priority)

    async def _arrive(
        self, kind: ArrivalKind, *, code: str | None = None, service: ServiceInfo | None = None, priority: str = ""
    ) -> Outcome:
        async with self._lock:
            if self.online and self.spool.has_pending():
                await self._drain()  # the API came back since the last replay: the queue first, then this one
            behind_others = self.spool.has_pending()
            arrival = self.spool.add(
                idempotency_key=str(uuid.uuid4()),
                kind=kind,
                office_id=self.office_id,
                arrived_at=self.clock(),
                code=code,
                service_id=service.id if service else None,
                priority=priority or "STANDARD",
            )
            sent = False
            if not behind_others:
                try:
                    outcome = await self._send(arrival, replaying=False)
                except Unreachable as error:
                    log.warning("API unreachable, working offline: %s", error)
                    sent = error.sent
                else:
                    self.online = True
                    return outcome
            self.online = False
            return self._offline(arrival, service, may_have_landed=sent)

    def _offline(self, arrival: Arrival, service: ServiceInfo | None, *, may_have_landed: bool) -> Outcome:
        number = self.spool.take_number(self.office_id, self._today())
        if number is None:
            if not may_have_landed:
                # never reached the server and never will: nobody holds a number for it
                self.spool.refuse(arrival.seq, "offline with no reserved numbers left")
            return OutOfNumbers()
        shown = f"{service.prefix}-{number:03d}" if service else f"{number:03d}"
        self.spool.give_number(arrival.seq, number, shown)
        return OfflineTicket(
            number=shown,
            kind=arrival.kind,
            service_name=service.name if service else None,
            arrived_at=arrival.arrived_at,
        )

    async def _send(self, arrival: Arrival, *, replaying: bool) -> TicketInfo | Refusal:
        """One attempt; settles the arrival in the spool when the server answers."""
        arrived_at = arrival.arrived_at if replaying else None
        outcome = await self._request(arrival, arrived_at)
        if isinstance(outcome, Refusal) and outcome.field == "arrivedAt":
            # a kiosk clock gone wrong costs the arrival its time, not the citizen their ticket
            log.warning("arrival time %s refused (%s); sending it as now", arrived_at, outcome.message)
            outcome = await self._request(arrival, None)
        if isinstance(outcome, TicketInfo):
            self.spool.settle(arrival.seq, ticket_id=outcome.id, ticket_number=outcome.number)
            if arrival.number is not None and not outcome.number.endswith(arrival.number.split("-")[-1]):
                log.error("arrival %s was told %s but holds %s", arrival.seq, arrival.number, outcome.number)
        else:
            self.spool.refuse(arrival.seq, f"{outcome.kind}: {outcome.message}")
        return outcome

    async def _request(self, arrival: Arrival, arrived_at: datetime | None) -> TicketInfo | Refusal:
        if arrival.kind is ArrivalKind.CHECK_IN:
            assert arrival.code is not None
            return await self.api.check_in(
                arrival.office_id,
                arrival.code,
                idempotency_key=arrival.idempotency_key,
                arrived_at=arrived_at,
                block_number=arrival.block_number,
            )
        assert arrival.service_id is not None
        return await self.api.issue_ticket(
            arrival.office_id,
            arrival.service_id,
            arrival.priority,
            idempotency_key=arrival.idempotency_key,
            arrived_at=arrived_at,
            block_number=arrival.block_number,
        )

    async def replay(self) -> int:
        """Sends what waits in the spool, oldest first; stops at the first unanswered request (the rest waits
        for the next try). Returns how many the server settled."""
        async with self._lock:
            return await self._drain()

    async def _drain(self) -> int:
        settled = 0
        for arrival in self.spool.pending():
            try:
                await self._send(arrival, replaying=True)
            except Unreachable as error:
                log.info("replay paused after %d: %s", settled, error)
                self.online = False
                return settled
            settled += 1
        self.online = True
        if settled:
            log.info("replayed %d offline arrivals", settled)
        return settled
