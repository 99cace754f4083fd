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


def legacy_name(event: str) -> str:
    """The type as it was named before dot-separated names (`booking.created` → `BOOKING_CREATED`): what an
    endpoint with legacyEventNames is sent, for one release."""
    return WebhookEventType(event).name


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _moment(value: Any) -> datetime:
    """A time of the facts: stored as JSON (ISO 8601 with its offset)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def payload(row: OutboxRow, event: str, facts: Mapping[str, Any], *, legacy: bool = False) -> dict[str, Any]:
    """The Standard Webhooks body for this row, from the event's facts as its own transaction stored them
    (resolvers/outbox/facts.py): what was true when it happened, whenever it is sent. `legacy`: the type's old
    SCREAMING_CASE name."""
    zone = ZoneInfo(facts["timezone"])  # times as the GraphQL API shows them: with the office's offset
    data: dict[str, Any] = {
        "bookingId": str(facts["id"]),
        "code": facts["code"],
        "status": facts["status"],
        "startsAt": _moment(facts["starts_at"]).astimezone(zone).isoformat(),
        "office": {"id": str(facts["office_id"]), "name": facts["office_name"]},
        "service": {"id": str(facts["service_id"]), "name": facts["service_name"]},
    }
    if facts.get("ticket_number") is not None:
        data["ticket"] = {"number": facts["ticket_number"], "desk": facts.get("desk_name")}
    previous = row.payload.get("previous_starts_at")
    if event == WebhookEventType.BOOKING_RESCHEDULED and isinstance(previous, str):
        data["previousStartsAt"] = datetime.fromisoformat(previous).astimezone(zone).isoformat()
    return {
        "type": legacy_name(event) if legacy else event,
        "timestamp": _utc(_moment(facts["occurred_at"])),
        "data": data,
    }
