"""What a waiting-room screen shows: the latest calls and, per service, who waits and for how long."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, BindParameter, Date, bindparam, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError
from models.catalogue import Desk, DeskService, Office, OfficeService, Service
from models.queue import Ticket, TicketStatus
from resolvers.queue import log
from resolvers.queue.records import TicketRecord
from resolvers.queue.tickets import select_tickets, status_in
from resolvers.queue.waits import newcomer_waits
from resolvers.rows import records_from_rows

RECENT_CALLS = 10


@dataclass(frozen=True, slots=True)
class QueueCount:
    """A procedure the office offers: how many wait for it, and whether a desk serves it."""

    service_id: int
    waiting: int
    served: bool


@dataclass(frozen=True, slots=True)
class ServiceQueueRecord:
    service_id: int
    waiting: int
    estimated_wait_minutes: int | None


@dataclass(frozen=True, slots=True)
class BoardRecord:
    office_id: int
    seq: int
    recent_calls: list[TicketRecord]
    counts: list[QueueCount]


# Calls of the office's current day, newest first (a recall counts as a new call).
_RECENT_CALLS = (
    select_tickets()
    .where(
        Ticket.called_at.is_not(None),
        Ticket.day == cast(func.timezone(Office.timezone, func.now()), Date),
    )
    .order_by(Ticket.called_at.desc(), Ticket.id.desc())
    .limit(RECENT_CALLS)
)

_OFFICE: BindParameter[int] = bindparam("office_id", type_=BigInteger)
# per procedure the office offers: how many wait (ix_tickets_waiting) and whether a desk serves it
_WAITING = (
    select(func.count())
    .select_from(Ticket)
    .where(Ticket.office_id == _OFFICE, Ticket.service_id == Service.id, status_in(TicketStatus.WAITING))
    .correlate(Service)
    .scalar_subquery()
)
_SERVED = (
    exists()
    .where(DeskService.service_id == Service.id, Desk.id == DeskService.desk_id, Desk.office_id == _OFFICE)
    .correlate(Service)
)
_QUEUES = (
    select(Service.id.label("service_id"), _WAITING.label("waiting"), _SERVED.label("served"))
    .join_from(Service, OfficeService, OfficeService.service_id == Service.id)
    .where(OfficeService.office_id == _OFFICE)
    .order_by(Service.name, Service.id)
)


async def board(conn: AsyncConnection, office_id: int, *, known: bool = False) -> BoardRecord:
    """`known`: the caller already made sure the office exists (a subscription's later redraws)."""
    if not known and (await conn.execute(select(Office.id).where(Office.id == office_id))).first() is None:
        raise NotFoundError("No office has this ID.")
    seq = await log.last_seq(conn, office_id)
    calls = records_from_rows(
        TicketRecord, (await conn.execute(_RECENT_CALLS.where(Ticket.office_id == office_id))).mappings()
    )
    return BoardRecord(office_id=office_id, seq=seq, recent_calls=calls, counts=await queue_counts(conn, office_id))


async def queue_counts(conn: AsyncConnection, office_id: int) -> list[QueueCount]:
    """Per procedure the office offers: who waits for it, and whether a desk serves it (the board's and the
    public waits' list, resolvers/queue/public_waits.py)."""
    return records_from_rows(QueueCount, (await conn.execute(_QUEUES, {"office_id": office_id})).mappings())


def shown(counts: list[QueueCount], *, only_waiting: bool) -> list[QueueCount]:
    """The procedures a board lists: those served at a desk or waited for; `only_waiting`, those someone
    waits for (a screen in the room: an office may offer 50 procedures, a handful at a time have a line)."""
    return [count for count in counts if count.waiting or (count.served and not only_waiting)]


async def queues(conn: AsyncConnection, office_id: int, counts: list[QueueCount]) -> list[ServiceQueueRecord]:
    """Each queue with the wait of a walk-in taken now, by the statement that tells every ticket its own
    (waits.py): the board's figure is what the next ticket of that procedure is told."""
    waits = await newcomer_waits(conn, office_id, [count.service_id for count in counts])
    return [
        ServiceQueueRecord(
            service_id=count.service_id,
            waiting=count.waiting,
            estimated_wait_minutes=wait.minutes if (wait := waits.get(count.service_id)) else None,
        )
        for count in counts
    ]
