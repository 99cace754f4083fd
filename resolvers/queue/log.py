"""Ticket numbers and the office's event log. Both come from one counter row per office, updated in the
change's own transaction: its row lock makes numbers unique and seq gapless under any concurrency."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.queue import PriorityClass, QueueEventType
from resolvers.queue.records import TICKET_COLUMNS, QueueEventRecord, TicketRecord


def local_day(at: datetime, timezone: str) -> date:
    """The office's calendar day at an instant: numbering restarts at local midnight, DST or not."""
    return at.astimezone(ZoneInfo(timezone)).date()


def ticket_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:03d}"


_NEXT_NUMBER = text("""
    INSERT INTO office_queue_counters (office_id, ticket_day, last_ticket_number) VALUES (:office_id, :day, 1)
    ON CONFLICT (office_id) DO UPDATE SET
        last_ticket_number = CASE WHEN office_queue_counters.ticket_day = EXCLUDED.ticket_day
                                  THEN office_queue_counters.last_ticket_number + 1 ELSE 1 END,
        ticket_day = EXCLUDED.ticket_day
    RETURNING last_ticket_number
""")

_INSERT_TICKET = text("""
    INSERT INTO tickets (office_id, service_id, booking_id, number, day, day_number, priority, status, due_at,
                         issued_at, target_desk_id, previous_ticket_id)
    VALUES (:office_id, :service_id, :booking_id, :number, :day, :day_number, CAST(:priority AS priority_class),
            'WAITING', :due_at, :at, :target_desk_id, :previous_ticket_id)
    RETURNING id
""")

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

_TICKET = text(f"SELECT {TICKET_COLUMNS} FROM tickets t JOIN offices o ON o.id = t.office_id WHERE t.id = :id")


async def ticket(conn: AsyncConnection, ticket_id: int) -> TicketRecord | None:
    row = (await conn.execute(_TICKET, {"id": ticket_id})).mappings().first()
    return TicketRecord.from_row(row) if row else None


async def successor(conn: AsyncConnection, ticket_id: int) -> TicketRecord | None:
    """The ticket a transfer created from this one, if any."""
    found = (
        await conn.execute(
            text("SELECT id FROM tickets WHERE previous_ticket_id = :id ORDER BY id LIMIT 1"), {"id": ticket_id}
        )
    ).scalar()
    return await ticket(conn, found) if found is not None else None


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
    return int(
        (
            await conn.execute(
                _INSERT_TICKET,
                {
                    "office_id": office_id,
                    "service_id": service_id,
                    "booking_id": booking_id,
                    "number": ticket_number(prefix, number),
                    "day": day,
                    "day_number": number,
                    "priority": priority.value,
                    "due_at": due_at,
                    "at": at,
                    "target_desk_id": target_desk_id,
                    "previous_ticket_id": previous_ticket_id,
                },
            )
        ).scalar_one()
    )


async def append(
    conn: AsyncConnection, office_id: int, kind: QueueEventType, ticket_id: int, desk_id: int | None = None
) -> QueueEventRecord:
    row = (
        await conn.execute(
            _APPEND, {"office_id": office_id, "type": kind.value, "ticket_id": ticket_id, "desk_id": desk_id}
        )
    ).one()
    current = await ticket(conn, ticket_id)
    assert current is not None
    return QueueEventRecord(office_id=office_id, seq=row.seq, type=kind, ticket=current, desk_id=desk_id, at=row.at)


_EVENTS_AFTER = text(f"""
    SELECT e.office_id AS event_office_id, e.seq, e.type::text AS type, e.desk_id AS event_desk_id, e.at,
           {TICKET_COLUMNS}
    FROM queue_events e JOIN tickets t ON t.id = e.ticket_id JOIN offices o ON o.id = t.office_id
    WHERE e.office_id = :office_id AND e.seq > :after
    ORDER BY e.seq
    LIMIT :limit
""")


async def events_after(conn: AsyncConnection, office_id: int, after: int, limit: int = 1000) -> list[QueueEventRecord]:
    """The log from seq `after` on, in order, each with its ticket as it is now (what replay shows)."""
    rows = (await conn.execute(_EVENTS_AFTER, {"office_id": office_id, "after": after, "limit": limit})).mappings()
    return [
        QueueEventRecord(
            office_id=row["event_office_id"],
            seq=row["seq"],
            type=QueueEventType(row["type"]),
            ticket=TicketRecord.from_row(row),
            desk_id=row["event_desk_id"],
            at=row["at"],
        )
        for row in rows
    ]


async def last_seq(conn: AsyncConnection, office_id: int) -> int:
    value = (
        await conn.execute(text("SELECT last_seq FROM office_queue_counters WHERE office_id = :id"), {"id": office_id})
    ).scalar()
    return int(value or 0)
