"""What a waiting-room screen shows: the latest calls and, per service, who waits and for how long."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError
from models.catalogue import Office
from models.queue import Ticket
from resolvers.queue import log
from resolvers.queue.records import TicketRecord
from resolvers.queue.tickets import select_tickets
from resolvers.queue.waits import estimate, recent_median_seconds
from resolvers.rows import records_from_rows

RECENT_CALLS = 10


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
    queues: list[ServiceQueueRecord]


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

# Every service the office serves at a desk or has people waiting for, with the wait of a newcomer.
# Native: per service, three correlated aggregates (the median of the last RECENT service times as
# waits.py takes it) in one statement that every board redraw runs.
_QUEUES = text(f"""
    SELECT s.id, s.duration_minutes,
           (SELECT count(*) FROM tickets w WHERE w.office_id = :office_id AND w.service_id = s.id
              AND w.status = 'WAITING') AS waiting,
           (SELECT count(DISTINCT ds.desk_id) FROM desk_services ds JOIN desks d ON d.id = ds.desk_id
            WHERE d.office_id = :office_id AND ds.service_id = s.id) AS desks,
           {recent_median_seconds(":office_id", "s.id")} AS median_seconds
    FROM services s JOIN office_services os ON os.service_id = s.id AND os.office_id = :office_id
    ORDER BY s.name, s.id
""")


async def board(conn: AsyncConnection, office_id: int, *, known: bool = False) -> BoardRecord:
    """`known`: the caller already made sure the office exists (a subscription's later redraws)."""
    if not known and (await conn.execute(select(Office.id).where(Office.id == office_id))).first() is None:
        raise NotFoundError("No office has this ID.")
    seq = await log.last_seq(conn, office_id)
    calls = records_from_rows(
        TicketRecord, (await conn.execute(_RECENT_CALLS.where(Ticket.office_id == office_id))).mappings()
    )
    queues = [
        ServiceQueueRecord(
            service_id=row["id"],
            waiting=row["waiting"],
            estimated_wait_minutes=estimate(
                row["waiting"] + 1, row["desks"], row["median_seconds"], row["duration_minutes"]
            )
            if row["desks"]
            else None,
        )
        for row in (await conn.execute(_QUEUES, {"office_id": office_id})).mappings()
        if row["desks"] or row["waiting"]
    ]
    return BoardRecord(office_id=office_id, seq=seq, recent_calls=calls, queues=queues)
