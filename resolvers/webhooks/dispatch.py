"""Due webhook deliveries: claimed like outbox rows, settled one by one with every try logged.

The claim commits before anything is sent (no transaction stays open during a send) and leases the rows,
so several workers never post the same delivery and a worker that dies mid-send leaves its rows to come due
again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.outbox import retry_or_give_up
from notifications.webhooks.delivery import GONE, GONE_ERROR, DueDelivery, Outcome
from resolvers.outbox.claims import claim_sql
from resolvers.rows import records_from_rows
from resolvers.webhooks.stop import stop_endpoint

logger = logging.getLogger("turnero.webhooks")

# One endpoint gets one booking's events in event order: a due delivery is held back while an earlier one of
# the same endpoint and booking is still PENDING (being retried, or being sent right now: a claim leaves it
# PENDING), and while an earlier event of the booking is not yet fanned out (its delivery does not exist yet).
# One that FAILED (its tries used up, or its endpoint stopped) holds nothing back: the later ones go, and the
# partner finds the failed one in webhookEvents to replay. Both checks read committed rows only and a delivery
# becomes SENT or FAILED only when its settling commits, so two workers claiming at once never let a later
# delivery past an earlier one; at worst one waits for the next run.
_HELD_BACK = """
    EXISTS (SELECT 1 FROM webhook_deliveries e
            WHERE e.endpoint_id = q.endpoint_id AND e.booking_id = q.booking_id AND e.event_id < q.event_id
              AND e.status = 'PENDING')
    OR EXISTS (SELECT 1 FROM outbox o
               WHERE o.booking_id = q.booking_id AND o.id < q.event_id
                 AND o.event_facts IS NOT NULL AND o.fanned_out_at IS NULL)
"""

# Native SQL: the outbox's claim (FOR UPDATE SKIP LOCKED, resolvers/outbox/claims.py) joined to the endpoint
_CLAIMED = claim_sql("webhook_deliveries", "id, endpoint_id, message_id, payload, attempts", unless=_HELD_BACK)
_CLAIM = text(f"""
    WITH claimed AS ({_CLAIMED})
    SELECT c.id, c.endpoint_id, c.message_id, c.payload, c.attempts, e.url, e.secret_nonce,
           CASE WHEN e.previous_secret_until > now() THEN e.previous_secret_nonce END AS previous_secret_nonce
    FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id
    ORDER BY c.id
""")

# the try goes in the log and the delivery is settled, in one statement; a retry for an endpoint stopped
# while this try was under way ends FAILED instead, as its other pending deliveries did (native SQL: a writable
# CTE and an UPDATE … FROM in one statement)
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


async def claim_due(conn: AsyncConnection, limit: int, lease: timedelta) -> list[DueDelivery]:
    rows = await conn.execute(_CLAIM, {"limit": limit, "lease": lease})
    return records_from_rows(DueDelivery, rows.mappings())


async def settle(
    conn: AsyncConnection, delivery: DueDelivery, outcome: Outcome, max_attempts: int, base: timedelta
) -> str:
    """Logs the try and settles the delivery: SENT, PENDING again after the backoff (or the wait the endpoint
    asked for, if longer), or FAILED; a 410 Gone stops the endpoint. The status it now has."""
    status, delay = "SENT", timedelta(0)
    if outcome.status_code == GONE:
        status = "FAILED"
        # the endpoint first, then its deliveries, as deactivateWebhookEndpoint does: two 410s at once
        # settling deliveries of one endpoint queue up on the endpoint's row instead of deadlocking
        await stop_endpoint(conn, delivery.endpoint_id, GONE_ERROR)
        logger.warning("webhook endpoint %s answered 410 Gone: deactivated", delivery.endpoint_id)
    elif not outcome.delivered:
        status, delay = retry_or_give_up(delivery.attempts, max_attempts, base)
        delay = max(delay, outcome.asked_wait or delay)
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
    return str(settled.scalar_one())
