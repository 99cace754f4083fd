"""Ticket numbers and the office's event log. Both come from one counter row per office, updated in the
change's own transaction: its row lock makes numbers unique and seq gapless under any concurrency.
Reading tickets is resolvers/queue/tickets.py."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.queue import (
    OfficeQueueCounter,
    PriorityClass,
    QueueEvent,
    QueueEventType,
    Ticket,
    TicketNumberBlock,
    TicketStatus,
)
from resolvers.queue import remote
from resolvers.queue.records import QueueEventRecord, TicketRecord

# `ticket` and `successor` are also read through this module by realtime/ and schema/queue until they
# import resolvers.queue.tickets (issue 15: the live queue moves to realtime/ at the same time)
from resolvers.queue.tickets import select_tickets, ticket
from resolvers.rows import record_from_row
from resolvers.sql import any_id


def local_day(at: datetime, timezone: str) -> date:
    """The office's calendar day at an instant: numbering restarts at local midnight, DST or not."""
    return at.astimezone(ZoneInfo(timezone)).date()


def ticket_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:03d}"


# Native: the counter's upsert with its day rule is one statement under the row lock (the numbering hot path).
_NEXT_NUMBER = text("""
    INSERT INTO office_queue_counters (office_id, ticket_day, last_ticket_number) VALUES (:office_id, :day, 1)
    ON CONFLICT (office_id) DO UPDATE SET
        last_ticket_number = CASE WHEN office_queue_counters.ticket_day = EXCLUDED.ticket_day
                                  THEN office_queue_counters.last_ticket_number + 1 ELSE 1 END,
        ticket_day = EXCLUDED.ticket_day
    RETURNING last_ticket_number
""")

# Kiosks' offline blocks are taken from the top of the day's numbers downwards (resolvers/queue/kiosk.py), never
# below OFFLINE_FLOOR: the day's own numbers stay consecutive (D-004, D-005 …) and only a day that reaches the
# floor needs to step over a block.
OFFLINE_TOP = 999
OFFLINE_FLOOR = 500


async def _past_blocks(conn: AsyncConnection, office_id: int, day: date, number: int) -> int:
    """`number`, or the first number after the kiosks' blocks it falls in (the counter then moves there)."""
    blocks = (
        await conn.execute(
            select(TicketNumberBlock.first_number, TicketNumberBlock.last_number)
            .where(
                TicketNumberBlock.office_id == office_id,
                TicketNumberBlock.day == day,
                TicketNumberBlock.last_number >= number,
            )
            .order_by(TicketNumberBlock.first_number)
        )
    ).all()
    free = number
    for first, last in blocks:
        if first <= free <= last:
            free = last + 1
    if free != number:
        await conn.execute(
            update(OfficeQueueCounter).where(OfficeQueueCounter.office_id == office_id).values(last_ticket_number=free)
        )
    return free


# Native: the counter's next seq and the event's insert in one round trip (every queue change runs it).
_APPEND = text("""
    WITH counter AS (
        INSERT INTO office_queue_counters (office_id, last_seq) VALUES (:office_id, 1)
        ON CONFLICT (office_id) DO UPDATE SET last_seq = office_queue_counters.last_seq + 1
        RETURNING last_seq
    )
    INSERT INTO queue_events (office_id, seq, type, ticket_id, desk_id)
    SELECT :office_id, last_seq, CAST(:type AS queue_event_type), :ticket_id, :desk_id FROM counter
    RETURNING seq, at
""")


async def new_ticket(
    conn: AsyncConnection,
    *,
    office_id: int,
    timezone: str,
    service_id: int,
    prefix: str,
    at: datetime,
    due_at: datetime,
    priority: PriorityClass = PriorityClass.STANDARD,
    booking_id: int | None = None,
    target_desk_id: int | None = None,
    previous_ticket_id: int | None = None,
    day_number: int | None = None,
) -> int:
    """`day_number` is a number the counter already gave out (a kiosk's reserved block); else the next one."""
    day = local_day(at, timezone)
    number = (
        day_number
        if day_number is not None
        else (await conn.execute(_NEXT_NUMBER, {"office_id": office_id, "day": day})).scalar_one()
    )
    if day_number is None and number >= OFFLINE_FLOOR:  # below the floor no block can be (kiosk.py)
        number = await _past_blocks(conn, office_id, day, number)
    issued = (
        insert(Ticket)
        .values(
            office_id=office_id,
            service_id=service_id,
            booking_id=booking_id,
            number=ticket_number(prefix, number),
            day=day,
            day_number=number,
            priority=priority,
            status=TicketStatus.WAITING,
            due_at=due_at,
            issued_at=at,
            target_desk_id=target_desk_id,
            previous_ticket_id=previous_ticket_id,
        )
        .returning(Ticket.id)
    )
    return int((await conn.execute(issued)).scalar_one())


async def append(
    conn: AsyncConnection, office_id: int, kind: QueueEventType, ticket_id: int, desk_id: int | None = None
) -> QueueEventRecord:
    row = (
        await conn.execute(
            _APPEND, {"office_id": office_id, "type": kind.value, "ticket_id": ticket_id, "desk_id": desk_id}
        )
    ).one()
    # under the counter row lock this event took: the people waiting outside move up, and may be let in
    await remote.admit(conn, office_id)
    current = await ticket(conn, ticket_id)
    assert current is not None
    return QueueEventRecord(office_id=office_id, seq=row.seq, type=kind, ticket=current, desk_id=desk_id, at=row.at)


# built once: the hub reads the log after every change of an office
_EVENTS_AFTER = (
    select_tickets(
        QueueEvent.office_id.label("event_office_id"),
        QueueEvent.seq,
        QueueEvent.type,
        QueueEvent.desk_id.label("event_desk_id"),
        QueueEvent.at,
    )
    .join(QueueEvent, QueueEvent.ticket_id == Ticket.id)
    .where(QueueEvent.office_id == bindparam("office_id"), QueueEvent.seq > bindparam("after"))
    .order_by(QueueEvent.seq)
    .limit(bindparam("limit"))
)


async def events_after(conn: AsyncConnection, office_id: int, after: int, limit: int = 1000) -> list[QueueEventRecord]:
    """The log from seq `after` on, in order, each with its ticket as it is now (what replay shows)."""
    rows = await conn.execute(_EVENTS_AFTER, {"office_id": office_id, "after": after, "limit": limit})
    return [
        QueueEventRecord(
            office_id=row["event_office_id"],
            seq=row["seq"],
            type=QueueEventType(row["type"]),
            ticket=record_from_row(TicketRecord, row),
            desk_id=row["event_desk_id"],
            at=row["at"],
        )
        for row in rows.mappings()
    ]


async def last_seqs(conn: AsyncConnection, office_ids: list[int]) -> dict[int, int]:
    """Each office's latest event number (offices without events are absent): the hub's poll."""
    found = select(OfficeQueueCounter.office_id, OfficeQueueCounter.last_seq).where(
        OfficeQueueCounter.office_id == any_id(office_ids)
    )
    return {row.office_id: row.last_seq for row in await conn.execute(found)}


async def last_seq(conn: AsyncConnection, office_id: int) -> int:
    found = select(OfficeQueueCounter.last_seq).where(OfficeQueueCounter.office_id == office_id)
    return int((await conn.execute(found)).scalar() or 0)
