"""A typed async client of the kiosk's part of the Turnero API (GraphQL over HTTP and graphql-transport-ws)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

TICKET_FIELDS = (
    "id number status issuedAt position estimatedWaitMinutes partySize service { name } office { name timezone }"
    " remote remoteCode"
)
REFUSAL_FIELDS = "... on UserError { code message } ... on ValidationError { field } ... on InvalidState { reason at }"
OFFICE = """query($o: ID!) { office(id: $o) { id name timezone
    services { id name ticketPrefix walkInAllowed } } }"""
CHECK_IN = f"""mutation($o: ID!, $c: String!, $k: String, $a: DateTime, $b: Int) {{
    checkIn(officeId: $o, code: $c, idempotencyKey: $k, arrivedAt: $a, blockNumber: $b) {{
        __typename ... on Ticket {{ {TICKET_FIELDS} }} {REFUSAL_FIELDS} }} }}"""
ISSUE_TICKET = f"""mutation($o: ID!, $s: ID!, $p: PriorityClass!, $k: String, $a: DateTime, $b: Int) {{
    issueTicket(officeId: $o, serviceId: $s, priority: $p, idempotencyKey: $k, arrivedAt: $a, blockNumber: $b) {{
        __typename ... on Ticket {{ {TICKET_FIELDS} }} {REFUSAL_FIELDS} }} }}"""
RESERVE = """mutation($n: Int!) { reserveTicketNumbers(count: $n) {
    __typename ... on TicketNumberBlock { day firstNumber lastNumber } ... on UserError { code message } } }"""
TICKET_UPDATES = f"subscription($t: ID!) {{ ticketUpdates(ticketId: $t) {{ {TICKET_FIELDS} }} }}"


class KioskApiError(Exception):
    """The server answered, but not as a kiosk can go on from: a bad token, a broken request."""


class Unreachable(Exception):
    """No answer from the server. `sent` is False only when the request surely never reached it (the
    connection was not even opened), so it cannot have taken effect."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    id: str
    name: str
    prefix: str
    walk_in_allowed: bool


@dataclass(frozen=True, slots=True)
class OfficeInfo:
    id: str
    name: str
    timezone: str
    services: tuple[ServiceInfo, ...]

    @property
    def walk_in_services(self) -> tuple[ServiceInfo, ...]:
        return tuple(service for service in self.services if service.walk_in_allowed)


@dataclass(frozen=True, slots=True)
class TicketInfo:
    id: str
    number: str
    status: str
    issued_at: datetime
    position: int | None
    estimated_wait_minutes: int | None
    service_name: str
    office_name: str
    # a booking's whole party checks in together on this one ticket
    party_size: int = 1
    # the building is full: the citizen waits outside and comes back to check in with this code when told
    remote_code: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketInfo:
        return cls(
            id=data["id"],
            number=data["number"],
            status=data["status"],
            issued_at=datetime.fromisoformat(data["issuedAt"]),
            position=data["position"],
            estimated_wait_minutes=data["estimatedWaitMinutes"],
            service_name=data["service"]["name"],
            office_name=data["office"]["name"],
            party_size=data.get("partySize") or 1,  # servers older than parties do not say
            remote_code=data.get("remoteCode") if data.get("remote") else None,
        )


@dataclass(frozen=True, slots=True)
class Refusal:
    """A typed UserError: `kind` is its GraphQL type (InvalidState, NotFound, …); `reason` and `at` come with
    InvalidState, `field` with ValidationError."""

    kind: str
    code: str
    message: str
    reason: str | None = None
    at: datetime | None = None
    field: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refusal:
        at = data.get("at")
        return cls(
            kind=data["__typename"],
            code=data["code"],
            message=data["message"],
            reason=data.get("reason"),
            at=datetime.fromisoformat(at) if at else None,
            field=data.get("field"),
        )


@dataclass(frozen=True, slots=True)
class NumberBlock:
    day: date
    first_number: int
    last_number: int


def _outcome(data: dict[str, Any]) -> TicketInfo | Refusal:
    return TicketInfo.from_json(data) if data["__typename"] == "Ticket" else Refusal.from_json(data)


class KioskApi:
    """`language`: the kiosk's current one (es or en), sent as Accept-Language with every request so that the
    server's refusals (UserError.message) come in the language the citizen reads."""

    def __init__(self, server_url: str, token: str, *, timeout: float = 5, language: str = "es") -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.language = language
        self._http = httpx.AsyncClient(
            base_url=self.server_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
        )

    async def __aenter__(self) -> KioskApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"Accept-Language": self.language}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise Unreachable(f"cannot connect: {error!r}", sent=False) from error
        except httpx.TransportError as error:
            raise Unreachable(f"no answer: {error!r}", sent=True) from error
        if response.status_code >= 500:
            raise Unreachable(f"server error {response.status_code}", sent=True)
        try:
            body: dict[str, Any] = response.json()
        except ValueError as error:
            raise Unreachable(f"not a GraphQL answer (HTTP {response.status_code})", sent=True) from error
        errors = body.get("errors") or []
        if any((error.get("extensions") or {}).get("code") == "SERVICE_UNAVAILABLE" for error in errors):
            raise Unreachable("the server cannot reach its database", sent=True)
        if errors or response.status_code != 200:
            raise KioskApiError("; ".join(str(error.get("message")) for error in errors) or response.text)
        data: dict[str, Any] = body["data"]
        return data

    async def office(self, office_id: str) -> OfficeInfo:
        found = (await self._run(OFFICE, {"o": office_id}))["office"]
        if found is None:
            raise KioskApiError(f"no office {office_id}")
        services = tuple(
            ServiceInfo(id=s["id"], name=s["name"], prefix=s["ticketPrefix"], walk_in_allowed=s["walkInAllowed"])
            for s in found["services"]
        )
        return OfficeInfo(id=found["id"], name=found["name"], timezone=found["timezone"], services=services)

    async def check_in(
        self,
        office_id: str,
        code: str,
        *,
        idempotency_key: str,
        arrived_at: datetime | None = None,
        block_number: int | None = None,
    ) -> TicketInfo | Refusal:
        variables = {
            "o": office_id,
            "c": code,
            "k": idempotency_key,
            "a": arrived_at.isoformat() if arrived_at else None,
            "b": block_number,
        }
        return _outcome((await self._run(CHECK_IN, variables))["checkIn"])

    async def issue_ticket(
        self,
        office_id: str,
        service_id: str,
        priority: str = "STANDARD",
        *,
        idempotency_key: str,
        arrived_at: datetime | None = None,
        block_number: int | None = None,
    ) -> TicketInfo | Refusal:
        variables = {
            "o": office_id,
            "s": service_id,
            "p": priority,
            "k": idempotency_key,
            "a": arrived_at.isoformat() if arrived_at else None,
            "b": block_number,
        }
        return _outcome((await self._run(ISSUE_TICKET, variables))["issueTicket"])

    async def reserve_numbers(self, count: int) -> NumberBlock:
        data = (await self._run(RESERVE, {"n": count}))["reserveTicketNumbers"]
        if data["__typename"] != "TicketNumberBlock":
            raise KioskApiError(data["message"])
        return NumberBlock(
            day=date.fromisoformat(data["day"]), first_number=data["firstNumber"], last_number=data["lastNumber"]
        )

    async def ticket_updates(self, ticket_id: str) -> AsyncIterator[TicketInfo]:
        """The ticket now, then on every change, until it is final (graphql-transport-ws)."""
        url = self.server_url.replace("http", "ws", 1) + "/graphql"
        try:
            async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
                said = {"authorization": f"Bearer {self.token}", "Accept-Language": self.language}
                init = {"type": "connection_init", "payload": said}
                await socket.send(json.dumps(init))
                ack = json.loads(await socket.recv())
                if ack.get("type") != "connection_ack":
                    raise KioskApiError(f"subscription refused: {ack}")
                payload = {"query": TICKET_UPDATES, "variables": {"t": ticket_id}}
                await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                async for raw in socket:
                    message = json.loads(raw)
                    if message["type"] == "ping":
                        await socket.send(json.dumps({"type": "pong"}))
                    elif message["type"] == "next":
                        if message["payload"].get("errors"):
                            raise KioskApiError(str(message["payload"]["errors"]))
                        yield TicketInfo.from_json(message["payload"]["data"]["ticketUpdates"])
                    elif message["type"] == "error":
                        raise KioskApiError(str(message["payload"]))
                    elif message["type"] == "complete":
                        return
        except (OSError, WebSocketException) as error:
            raise Unreachable(f"subscription lost: {error!r}", sent=True) from error
