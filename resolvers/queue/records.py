from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.queue import PriorityClass, QueueEventType, TicketStatus


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    office_id: int
    service_id: int
    booking_id: int | None
    number: str
    status: TicketStatus
    priority: PriorityClass
    due_at: datetime
    issued_at: datetime
    called_at: datetime | None
    desk_id: int | None
    target_desk_id: int | None
    recalls: int
    estimated_wait_minutes: int | None
    timezone: str

    @classmethod
    def from_row(cls, row: Any) -> TicketRecord:
        return cls(
            id=row["id"],
            office_id=row["office_id"],
            service_id=row["service_id"],
            booking_id=row["booking_id"],
            number=row["number"],
            status=TicketStatus(row["status"]),
            priority=PriorityClass(row["priority"]),
            due_at=row["due_at"],
            issued_at=row["issued_at"],
            called_at=row["called_at"],
            desk_id=row["desk_id"],
            target_desk_id=row["target_desk_id"],
            recalls=row["recalls"],
            estimated_wait_minutes=row["estimated_wait_minutes"],
            timezone=row["timezone"],
        )


@dataclass(frozen=True, slots=True)
class QueueEventRecord:
    office_id: int
    seq: int
    type: QueueEventType
    ticket: TicketRecord
    desk_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueChange:
    """What a front-desk operation returns: the ticket as it now is, and the events to publish after commit."""

    ticket: TicketRecord
    events: list[QueueEventRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Wait:
    position: int
    minutes: int


TICKET_COLUMNS = (
    "t.id, t.office_id, t.service_id, t.booking_id, t.number, t.status::text AS status, "
    "t.priority::text AS priority, t.due_at, t.issued_at, t.called_at, t.desk_id, t.target_desk_id, t.recalls, "
    "t.estimated_wait_minutes, o.timezone"
)
