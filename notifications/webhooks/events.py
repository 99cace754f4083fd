"""Which outbox kinds partners hear about, under which webhook event type, and what they are told.

Payloads are thin (Standard Webhooks' advice): the booking's code and state, where and when, and the ticket
when there is one. No citizen data at all: the partner already knows its own user (it made the booking),
and every copy of a name or an address sent to another system is one more to protect.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

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


def event_type(kind: str) -> str | None:
    """The webhook event an outbox kind is, if partners hear about it (reminders, for one, they do not)."""
    event = EVENT_BY_KIND.get(kind)
    return event.value if event else None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(row: OutboxRow, event: str, facts: Mapping[Any, Any]) -> dict[str, Any]:
    """The Standard Webhooks body for this row; facts: the event as it stands when it is fanned out
    (resolvers/webhooks/fanout.py reads them)."""
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
