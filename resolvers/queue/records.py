"""What the front-desk operations return: tickets, log events, changes, places in line (records read
from rows by field name: resolvers/rows.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    # the number of the ticket a transfer made this one from: "D-002 → C-004" wherever it shows
    previous_number: str | None
    # and, once TRANSFERRED, the number of the ticket that carries the citizen on
    next_number: str | None
    # waiting outside (resolvers/queue/remote.py): the code to check in with, and when told to come in
    remote: bool = False
    remote_code: str | None = None
    head_in_at: datetime | None = None


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
    minutes: int | None
