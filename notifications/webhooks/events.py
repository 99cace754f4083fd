"""Which outbox kinds partners hear about, under which webhook event type, and what they are told.

Payloads are thin (Standard Webhooks' advice): the booking's code and state, where and when, and the ticket
when there is one. No citizen data at all: the partner already knows its own user (it made the booking),
and every copy of a name or an address sent to another system is one more to protect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.notifications import WebhookEventType
from notifications.outbox import OutboxRow

EVENT_BY_KIND = {
    "booking.confirmation": WebhookEventType.BOOKING_CREATED,
    "booking.change": WebhookEventType.BOOKING_RESCHEDULED,
    "booking.cancellation": WebhookEventType.BOOKING_CANCELLED,
    "ticket.called": WebhookEventType.TICKET_CALLED,
    "ticket.completed": WebhookEventType.TICKET_COMPLETED,
    "booking.no_show": WebhookEventType.BOOKING_NO_SHOW,
}

# the event as it stands when it is fanned out; the outbox row's own time is when it happened
_FACTS = text("""
    SELECT b.id, b.code, b.status::text AS status, b.starts_at, o.id AS office_id, o.name AS office_name,
           o.timezone, s.id AS service_id, s.name AS service_name, x.created_at AS occurred_at,
           t.number AS ticket_number, d.name AS desk_name
    FROM outbox x
    JOIN bookings b ON b.id = x.booking_id
    JOIN offices o ON o.id = b.office_id
    JOIN services s ON s.id = b.service_id
    LEFT JOIN tickets t ON t.id = CAST(:ticket_id AS bigint)
    LEFT JOIN desks d ON d.id = t.desk_id
    WHERE x.id = :outbox_id
""")


def event_type(kind: str) -> str | None:
    """The webhook event an outbox kind is, if partners hear about it (reminders, for one, they do not)."""
    event = EVENT_BY_KIND.get(kind)
    return event.value if event else None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def payload(conn: AsyncConnection, row: OutboxRow, event: str) -> dict[str, Any] | None:
    """The Standard Webhooks body for this row, or None when its booking is gone."""
    params = {"outbox_id": row.id, "ticket_id": row.payload.get("ticket_id")}
    facts = (await conn.execute(_FACTS, params)).mappings().first()
    if facts is None:
        return None
    zone = ZoneInfo(facts["timezone"])  # times as the GraphQL API shows them: with the office's offset
    data: dict[str, Any] = {
        "bookingId": str(facts["id"]),
        "code": facts["code"],
        "status": facts["status"],
        "startsAt": facts["starts_at"].astimezone(zone).isoformat(),
        "office": {"id": str(facts["office_id"]), "name": facts["office_name"]},
        "service": {"id": str(facts["service_id"]), "name": facts["service_name"]},
    }
    if facts["ticket_number"] is not None:
        data["ticket"] = {"number": facts["ticket_number"], "desk": facts["desk_name"]}
    previous = row.payload.get("previous_starts_at")
    if event == WebhookEventType.BOOKING_RESCHEDULED and isinstance(previous, str):
        data["previousStartsAt"] = datetime.fromisoformat(previous).astimezone(zone).isoformat()
    return {"type": event, "timestamp": _utc(facts["occurred_at"]), "data": data}
