"""The delivery log an administrator reads: each delivery of an endpoint and every try it took."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, NotFoundError
from core.validation import parse_id
from resolvers.accounts.viewer import Viewer
from resolvers.outbox.admin import MAX_LIMIT, STATUSES
from resolvers.webhooks.records import WebhookAttemptRecord, WebhookDeliveryRecord

_DELIVERIES = text("""
    SELECT id, endpoint_id, event_type, message_id, status, next_attempt_at, last_status_code, last_error,
           created_at, delivered_at
    FROM webhook_deliveries
    WHERE endpoint_id = :endpoint_id AND (CAST(:status AS varchar) IS NULL OR status = :status)
    ORDER BY created_at DESC, id DESC
    LIMIT :limit
""")

_ATTEMPTS = text("""
    SELECT delivery_id, attempt, at, status_code, latency_ms, error FROM webhook_attempts
    WHERE delivery_id = ANY(CAST(:ids AS bigint[])) ORDER BY delivery_id, attempt, id
""")


async def deliveries(
    conn: AsyncConnection, viewer: Viewer, endpoint_id: str, status: str | None, limit: int
) -> list[WebhookDeliveryRecord]:
    """Newest first, each with its tries in order (status code, latency, error)."""
    viewer.require_admin()
    if status is not None and status not in STATUSES:
        raise BadRequest("status", f"status must be one of {', '.join(STATUSES)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    number = parse_id(endpoint_id)
    exists = (
        (await conn.execute(text("SELECT 1 FROM webhook_endpoints WHERE id = :id"), {"id": number})).scalar()
        if number
        else None
    )
    if exists is None:
        raise NotFoundError("No webhook endpoint has this ID.")
    rows = (await conn.execute(_DELIVERIES, {"endpoint_id": number, "status": status, "limit": limit})).mappings().all()
    tries: defaultdict[int, list[WebhookAttemptRecord]] = defaultdict(list)
    if rows:
        for attempt in (await conn.execute(_ATTEMPTS, {"ids": [row["id"] for row in rows]})).mappings():
            values = dict(attempt)
            tries[values.pop("delivery_id")].append(WebhookAttemptRecord(**values))
    return [WebhookDeliveryRecord(**dict(row), attempts=tuple(tries[row["id"]])) for row in rows]
