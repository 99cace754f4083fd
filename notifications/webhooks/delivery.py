"""Sending due webhook deliveries: claimed like outbox rows, posted concurrently, every try logged.

The claim commits before anything is sent (no transaction stays open during a send) and leases the rows,
so several workers never post the same delivery and a worker that dies mid-send leaves its rows to come due
again. Sends run side by side, each bounded by the webhook timeout, and each is settled on its own as soon
as it ends: an endpoint that hangs or fails costs its own deliveries a retry, never the others' time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from core.runtime import AppState
from notifications.outbox import claim_sql, retry_or_give_up
from notifications.webhooks.endpoints import stop_endpoint
from notifications.webhooks.retry_after import retry_after
from notifications.webhooks.signing import endpoint_key, headers
from notifications.webhooks.urls import UnsafeUrl, pinned

logger = logging.getLogger("turnero.webhooks")

USER_AGENT = "Turnero-Webhooks/1.0"
# Standard Webhooks: a receiver answers 410 Gone to say the endpoint no longer exists; it is stopped
GONE = 410
GONE_ERROR = "HTTP 410: the endpoint is gone; it was deactivated"

_CLAIM = text(f"""
    WITH claimed AS ({claim_sql("webhook_deliveries", "id, endpoint_id, message_id, payload, attempts")})
    SELECT c.id, c.endpoint_id, c.message_id, c.payload, c.attempts, e.url, e.secret_nonce,
           CASE WHEN e.previous_secret_until > now() THEN e.previous_secret_nonce END AS previous_secret_nonce
    FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id
    ORDER BY c.id
""")

# the try goes in the log and the delivery is settled, in one statement; a retry for an endpoint stopped
# while this try was under way ends FAILED instead, as its other pending deliveries did
_SETTLE = text("""
    WITH logged AS (
        INSERT INTO webhook_attempts (delivery_id, attempt, status_code, latency_ms, error)
        VALUES (:id, :attempt, :status_code, :latency_ms, :error)
    )
    UPDATE webhook_deliveries d
    SET status = CASE WHEN CAST(:status AS varchar) = 'PENDING' AND NOT e.active THEN 'FAILED'
                      ELSE CAST(:status AS varchar) END,
        last_status_code = :status_code, last_error = :error,
        next_attempt_at = now() + :delay,
        delivered_at = CASE WHEN CAST(:status AS varchar) = 'SENT' THEN now() END
    FROM webhook_endpoints e
    WHERE d.id = :id AND e.id = d.endpoint_id
    RETURNING d.status
""")


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

    @classmethod
    def from_row(cls, row: Any) -> DueDelivery:
        payload = row["payload"]
        return cls(
            id=row["id"],
            endpoint_id=row["endpoint_id"],
            message_id=row["message_id"],
            payload=payload if isinstance(payload, dict) else json.loads(payload),
            attempts=row["attempts"],
            url=row["url"],
            secret_nonce=bytes(row["secret_nonce"]),
            previous_secret_nonce=bytes(row["previous_secret_nonce"]) if row["previous_secret_nonce"] else None,
        )


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


async def _post(client: httpx.AsyncClient, secret_key: bytes, delivery: DueDelivery, seconds: float) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
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


async def _deliver(state: AppState, client: httpx.AsyncClient, delivery: DueDelivery) -> str:
    settings = state.settings
    outcome = await _post(client, state.secret_key, delivery, settings.webhook_timeout_seconds)
    status, delay = "SENT", timedelta(0)
    if outcome.status_code == GONE:
        status = "FAILED"
    elif not outcome.delivered:
        base = timedelta(seconds=settings.retry_base_seconds)
        status, delay = retry_or_give_up(delivery.attempts, settings.webhook_max_attempts, base)
        delay = max(delay, outcome.asked_wait or delay)
    async with state.engine.begin() as conn:
        if outcome.status_code == GONE:
            # the endpoint first, then its deliveries, as deactivateWebhookEndpoint does: two 410s at once
            # settling deliveries of one endpoint queue up on the endpoint's row instead of deadlocking
            await stop_endpoint(conn, delivery.endpoint_id, GONE_ERROR)
            logger.warning("webhook endpoint %s answered 410 Gone: deactivated", delivery.endpoint_id)
        settled = await conn.execute(
            _SETTLE,
            {
                "id": delivery.id,
                "attempt": delivery.attempts,
                "status_code": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "error": outcome.error[:2000] if outcome.error else None,
                "status": status,
                "delay": delay,
            },
        )
        status = str(settled.scalar_one())
    if not outcome.delivered:
        logger.warning(
            "webhook delivery %s (endpoint %s) attempt %d failed: %s; now %s",
            delivery.id,
            delivery.endpoint_id,
            delivery.attempts,
            outcome.error,
            status,  # as settled: FAILED when its endpoint was deactivated meanwhile
        )
    return status


async def deliver_due(state: AppState, limit: int = 50) -> DeliveryReport:
    """Claims up to `limit` due deliveries, posts them side by side, settles each as it ends."""
    lease = timedelta(seconds=state.settings.delivery_lease_seconds)
    async with state.engine.begin() as conn:
        rows = await conn.execute(_CLAIM, {"limit": limit, "lease": lease})
        due = [DueDelivery.from_row(row) for row in rows.mappings()]
    if not due:
        return DeliveryReport()
    # redirects are not followed (Standard Webhooks: a 3xx is a failure): a redirect could lead anywhere
    async with httpx.AsyncClient(
        timeout=state.settings.webhook_timeout_seconds, follow_redirects=False, headers={"user-agent": USER_AGENT}
    ) as client:
        statuses = await asyncio.gather(*(_deliver(state, client, delivery) for delivery in due))
    return DeliveryReport(
        sent=statuses.count("SENT"), retrying=statuses.count("PENDING"), failed=statuses.count("FAILED")
    )
