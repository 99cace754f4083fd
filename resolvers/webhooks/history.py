"""A partner's own webhook events: listed in event order from a cursor, and replayed.

Each event of an endpoint is its delivery row (webhook_deliveries): the payload stored when it was fanned out,
its webhook-id and its status. Replaying puts delivered or failed deliveries back in the queue as they are:
the same stored payload and the same webhook-id (Standard Webhooks: the receiver deduplicates on it), in
event order like any delivery (resolvers/webhooks/dispatch.py).

Least privilege: the endpoint's own partner, with a key that may read its bookings, or an administrator;
anyone else is refused, whether or not the endpoint exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, InvalidStateError, NotAllowedError, NotFoundError
from core.messages import msg
from core.validation import parse_id
from models.booking import BOOKINGS_READ
from models.notifications import webhook_deliveries, webhook_endpoints
from notifications.webhooks.delivery import body_of
from resolvers.accounts.viewer import Viewer

MAX_EVENTS = 200
# at most so many deliveries go back in the queue per call: a partner catching up on a long outage pages on
MAX_REPLAY = 1000


@dataclass(frozen=True, slots=True)
class WebhookEventRecord:
    id: int
    message_id: str
    event_type: str
    occurred_at: datetime
    payload: str  # the body exactly as sent
    status: str
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    endpoint_id: int
    replayed: int


_d = webhook_deliveries.c
_ORDER = (func.coalesce(_d.event_id, _d.id), _d.id)

_ENDPOINT = select(webhook_endpoints.c.partner_id, webhook_endpoints.c.active).where(
    webhook_endpoints.c.id == bindparam("endpoint_id")
)


async def _endpoint(conn: AsyncConnection, viewer: Viewer, endpoint_id: str) -> tuple[int, bool]:
    """The endpoint's number and whether it is active, for its own partner or an administrator only."""
    refused = NotAllowedError("Only the endpoint's own partner or an administrator may do this.")
    number = parse_id(endpoint_id)
    row = (await conn.execute(_ENDPOINT, {"endpoint_id": number})).first() if number else None
    if viewer.is_admin and row is not None and number is not None:
        return number, bool(row.active)
    owner = viewer.partner_id is not None and BOOKINGS_READ in viewer.partner_scopes
    # a partner learns nothing of other partners' endpoints, not even that they exist
    if row is None or number is None or not owner or row.partner_id != viewer.partner_id:
        if viewer.is_admin:
            raise NotFoundError("No webhook endpoint has this ID.")
        raise refused
    return number, bool(row.active)


async def _after(conn: AsyncConnection, endpoint_id: int, after: str | None) -> Any:
    """The condition for the events after the cursor (an event's id from a previous page), in event order."""
    if after is None:
        return None
    number = parse_id(after)
    cursor = (
        (await conn.execute(select(*_ORDER).where(_d.id == number, _d.endpoint_id == endpoint_id))).first()
        if number
        else None
    )
    if cursor is None:
        raise BadRequest("after", "after must be the id of one of this endpoint's events.")
    return tuple_(*_ORDER) > tuple_(*cursor)


async def events(
    conn: AsyncConnection, viewer: Viewer, endpoint_id: str, after: str | None, limit: int
) -> list[WebhookEventRecord]:
    """The endpoint's events after `after` (or from the first kept), oldest first, each with the payload as
    sent and its delivery status."""
    if not 1 <= limit <= MAX_EVENTS:
        raise BadRequest("limit", msg("limit must be 1 to {max}.", max=MAX_EVENTS).render())
    number, _ = await _endpoint(conn, viewer, endpoint_id)
    listed = (
        select(_d.id, _d.message_id, _d.event_type, _d.payload, _d.status, _d.delivered_at, _d.created_at)
        .where(_d.endpoint_id == number)
        .order_by(*_ORDER)
        .limit(limit)
    )
    cursor = await _after(conn, number, after)
    if cursor is not None:
        listed = listed.where(cursor)
    rows = (await conn.execute(listed)).all()
    return [
        WebhookEventRecord(
            id=row.id,
            message_id=row.message_id,
            event_type=row.event_type,
            occurred_at=_occurred_at(row.payload, row.created_at),
            payload=body_of(row.payload).decode(),
            status=row.status,
            delivered_at=row.delivered_at,
        )
        for row in rows
    ]


def _occurred_at(payload: dict[str, Any], fallback: datetime) -> datetime:
    """The event's time as its payload says it (Standard Webhooks' `timestamp`)."""
    stamp = payload.get("timestamp")
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else fallback


async def replay(conn: AsyncConnection, viewer: Viewer, endpoint_id: str, after: str | None) -> ReplayRecord:
    """The endpoint's delivered and failed events after `after` (all kept ones without it) go back in the
    queue, unchanged: due now, with fresh tries. Pending ones are on their way already."""
    number, active = await _endpoint(conn, viewer, endpoint_id)
    if not active:
        raise InvalidStateError("This endpoint was deactivated: it gets nothing more, so nothing can be replayed.")
    chosen = select(_d.id).where(_d.endpoint_id == number, _d.status != "PENDING").order_by(*_ORDER)
    cursor = await _after(conn, number, after)
    if cursor is not None:
        chosen = chosen.where(cursor)
    replayed = await conn.execute(
        update(webhook_deliveries)
        .where(_d.id.in_(chosen.limit(MAX_REPLAY)))
        .values(status="PENDING", attempts=0, next_attempt_at=func.now(), delivered_at=None)
    )
    return ReplayRecord(endpoint_id=number, replayed=int(replayed.rowcount))
