"""Posting one webhook delivery, signed, within one deadline; what came of it. Claiming and settling the
deliveries: resolvers/webhooks/dispatch.py; the job that runs them side by side: jobs/webhooks.py."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from notifications.webhooks.retry_after import retry_after
from notifications.webhooks.signing import endpoint_key, headers
from notifications.webhooks.urls import UnsafeUrl, pinned

USER_AGENT = "Turnero-Webhooks/1.0"
# Standard Webhooks: a receiver answers 410 Gone to say the endpoint no longer exists; it is stopped
GONE = 410
GONE_ERROR = "HTTP 410: the endpoint is gone; it was deactivated"


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: int
    endpoint_id: int
    message_id: str
    payload: dict[str, Any]
    attempts: int
    url: str
    secret_nonce: bytes
    previous_secret_nonce: bytes | None  # while a rotation lasts

    @property
    def secret_nonces(self) -> list[bytes]:
        """The current secret's, then while a rotation lasts the previous one's: a signature for each."""
        return [self.secret_nonce, *([self.previous_secret_nonce] if self.previous_secret_nonce else [])]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One try: the answer's status code (None when there was none), how long it took, what went wrong, and
    the wait the endpoint asked for (Retry-After)."""

    status_code: int | None
    latency_ms: int
    error: str | None
    asked_wait: timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes sent (and signed) for a stored payload: the same on every retry and replay, and what
    webhookEvents shows."""
    return json.dumps(payload, separators=(",", ":")).encode()


async def post(client: httpx.AsyncClient, secret_key: bytes, delivery: DueDelivery, seconds: float) -> Outcome:
    body = body_of(delivery.payload)
    keys = [endpoint_key(secret_key, nonce) for nonce in delivery.secret_nonces]
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    asked_wait: timedelta | None = None
    try:
        # one deadline for the whole try (resolving, connecting, answering): httpx's own timeouts are per
        # operation, so an endpoint trickling its answer byte by byte could outlast them
        async with asyncio.timeout(seconds):
            target = await pinned(delivery.url)
            signed = headers(keys, delivery.message_id, int(time.time()), body)
            # streamed and never read: only the status matters, and an endpoint cannot make us hold its body
            async with client.stream(
                "POST", target.url, content=body, headers=target.headers | signed, extensions=target.extensions
            ) as response:
                status_code = response.status_code
                asked_wait = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
    except TimeoutError:
        error = f"No answer within {seconds:g} s."
    except UnsafeUrl as refused:
        error = str(refused)
    except Exception as failure:  # refused, reset, TLS…: any failure is one failed try, retried later
        error = f"{type(failure).__name__}: {failure}".removesuffix(": ")
    if status_code is not None and error is None and not 200 <= status_code < 300:
        error = GONE_ERROR if status_code == GONE else f"HTTP {status_code}"
    return Outcome(status_code, round((time.monotonic() - started) * 1000), error, asked_wait)
