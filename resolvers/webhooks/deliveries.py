"""The delivery log an administrator reads: each delivery of an endpoint and every try it took."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, NotFoundError
from core.validation import parse_id
from models.notifications import webhook_attempts, webhook_deliveries, webhook_endpoints
from resolvers.accounts.viewer import Viewer
from resolvers.outbox.admin import MAX_LIMIT, STATUSES
from resolvers.rows import record_columns, record_from_row
from resolvers.sql import any_id
from resolvers.webhooks.records import WebhookAttemptRecord, WebhookDeliveryRecord

# a delivery's `attempts` column counts its tries; the record's are the tries themselves (_ATTEMPTS)
_DELIVERIES = select(
    *(column for column in record_columns(WebhookDeliveryRecord, webhook_deliveries) if column.name != "attempts")
).order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id.desc())

# in the order they were made: a replayed delivery counts its tries from 1 again (resolvers/webhooks/history.py)
_ATTEMPTS = select(webhook_attempts.c.delivery_id, *record_columns(WebhookAttemptRecord, webhook_attempts)).order_by(
    webhook_attempts.c.delivery_id, webhook_attempts.c.id
)


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
        (await conn.execute(select(webhook_endpoints.c.id).where(webhook_endpoints.c.id == number))).scalar()
        if number
        else None
    )
    if exists is None:
        raise NotFoundError("No webhook endpoint has this ID.")
    listed = _DELIVERIES.where(webhook_deliveries.c.endpoint_id == number).limit(limit)
    if status is not None:
        listed = listed.where(webhook_deliveries.c.status == status)
    rows = (await conn.execute(listed)).mappings().all()
    tries: defaultdict[int, list[WebhookAttemptRecord]] = defaultdict(list)
    if rows:
        attempts = _ATTEMPTS.where(webhook_attempts.c.delivery_id == any_id([row["id"] for row in rows]))
        for attempt in (await conn.execute(attempts)).mappings():
            tries[attempt["delivery_id"]].append(record_from_row(WebhookAttemptRecord, attempt))
    return [WebhookDeliveryRecord(**row, attempts=tuple(tries[row["id"]])) for row in rows]
