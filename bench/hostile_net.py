"""What the hostile-load bench's honest clients and attackers share: clients bound to loopback addresses of
their own, how an answer is counted (served, refused, failed), and latency figures."""

from __future__ import annotations

import asyncio
import ssl
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from bench.common import percentile

# answers that turn a caller away on purpose: what the protections give instead of doing the work
# a booking bot from one address is asked for a proof of work after its free bookings (resolvers/booking/challenge.py)
REFUSING_TYPES = frozenset({"LimitExceeded", "ChallengeRequired"})
# a GraphQL error with one of these codes is a failure of the server, not a refusal
FAILING_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", None})


def loopback(block: int, number: int) -> str:
    """The `number`th address of a block of 127.0.0.0/8 (the second byte), skipping .0 and .255 ends."""
    return f"127.{block}.{number // 250 % 256}.{number % 250 + 1}"


@cache
def _tls() -> ssl.SSLContext:
    # the bench only speaks plain HTTP to loopback, but httpx builds a context per transport otherwise
    # (tens of ms each, which a client per booking would pay)
    return ssl.create_default_context()


def bound_client(base: str, address: str, timeout: float, connections: int = 4) -> httpx.AsyncClient:
    """An HTTP client whose connections leave from `address`: to the server, a caller of its own."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.AsyncHTTPTransport(local_address=address, verify=_tls(), limits=limits)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=timeout)


class Clients:
    """One client per source address, made on first use and kept for the run."""

    def __init__(self, base: str, timeout: float) -> None:
        self.base = base
        self.timeout = timeout
        self._by_address: dict[str, httpx.AsyncClient] = {}

    def at(self, address: str) -> httpx.AsyncClient:
        if address not in self._by_address:
            self._by_address[address] = bound_client(self.base, address, self.timeout)
        return self._by_address[address]

    async def aclose(self) -> None:
        for client in self._by_address.values():
            await client.aclose()
        self._by_address.clear()


def verdict(response: httpx.Response) -> tuple[str, str]:
    """(served | refused | failed, what exactly): 4xx and typed refusals are refused; the root field's
    __typename, where asked, names what was served."""
    if 400 <= response.status_code < 500:
        return "refused", f"HTTP {response.status_code}"
    if response.status_code != 200:
        return "failed", f"HTTP {response.status_code}"
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return "failed", "not JSON"
    errors = body.get("errors") or []
    data = body.get("data") or {}
    if errors:
        code = (errors[0].get("extensions") or {}).get("code")
        return ("failed" if code in FAILING_CODES else "refused"), str(code)
    root = next(iter(data.values()), None)
    typename = root.get("__typename") if isinstance(root, dict) else None
    if typename in REFUSING_TYPES:
        return "refused", typename
    return "served", typename or "data"


def failure(error: Exception) -> tuple[str, str]:
    return "failed", "timeout" if isinstance(error, httpx.TimeoutException) else type(error).__name__


@dataclass
class Tally:
    """Answers to one kind of request: latencies (ms, failures at the time they took to fail) and counts."""

    latencies: list[float] = field(default_factory=list)
    verdicts: Counter[str] = field(default_factory=Counter)
    details: Counter[str] = field(default_factory=Counter)

    def add(self, started: float, outcome: tuple[str, str]) -> None:
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.verdicts[outcome[0]] += 1
        self.details[outcome[1]] += 1

    async def send(
        self, client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response | None:
        """POST /graphql, counted; the response if there was one."""
        started = time.perf_counter()
        try:
            response = await client.post("/graphql", json=body, headers=headers)
        except httpx.HTTPError as error:
            self.add(started, failure(error))
            return None
        except asyncio.CancelledError:
            self.add(started, ("failed", "unanswered when stopped"))
            raise
        self.add(started, verdict(response))
        return response

    def merge(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.verdicts.update(other.verdicts)
        self.details.update(other.details)

    def figures(self) -> dict[str, Any]:
        return {**latency(self.latencies), **{k: self.verdicts[k] for k in ("served", "refused", "failed")}} | {
            "answers": dict(self.details.most_common())
        }


def latency(milliseconds: list[float]) -> dict[str, Any]:
    if not milliseconds:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(milliseconds)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }
