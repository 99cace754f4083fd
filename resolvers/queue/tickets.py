"""Reading tickets: the select every ticket read starts from, the line a desk calls from (callNext and the
waiting line share it), one ticket by ID, a transfer's successor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import QueryableAttribute, aliased

from models.catalogue import DeskService, Office
from models.queue import Ticket, TicketStatus
from resolvers.queue.records import TicketRecord
from resolvers.rows import record_from_row
from resolvers.sql import written_in

# a transfer's ticket points back to the one it replaced (its primary key: one index probe per row)
_PREVIOUS = aliased(Ticket, name="previous")
# and the ticket that replaced a TRANSFERRED one: issued in the transfer's transaction, so at the instant the
# old one finished (both are its now()), which ix_tickets_issued finds; looked up for TRANSFERRED rows only
_NEXT = aliased(Ticket, name="next")
_NEXT_NUMBER = case(
    (
        Ticket.status == TicketStatus.TRANSFERRED,
        select(_NEXT.number)
        .where(_NEXT.issued_at == Ticket.finished_at, _NEXT.previous_ticket_id == Ticket.id)
        .order_by(_NEXT.id)
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery(),
    )
)

# the columns of a TicketRecord, by its field names; the office's zone says which local day a ticket is on
TICKET_FIELDS = (
    Ticket.id,
    Ticket.office_id,
    Ticket.service_id,
    Ticket.booking_id,
    Ticket.number,
    Ticket.status,
    Ticket.priority,
    Ticket.due_at,
    Ticket.issued_at,
    Ticket.called_at,
    Ticket.desk_id,
    Ticket.target_desk_id,
    Ticket.recalls,
    Ticket.estimated_wait_minutes,
    Office.timezone,
    _PREVIOUS.number.label("previous_number"),
    _NEXT_NUMBER.label("next_number"),
    Ticket.remote,
    Ticket.remote_code,
    Ticket.head_in_at,
)


def select_tickets(*extra: ColumnElement[Any] | QueryableAttribute[Any]) -> Select[*tuple[Any, ...]]:
    """Tickets as TicketRecords read them (and the `extra` columns, labelled apart from the fields)."""
    return (
        select(*TICKET_FIELDS, *extra)
        .join_from(Ticket, Office, Office.id == Ticket.office_id)
        .outerjoin(_PREVIOUS, _PREVIOUS.id == Ticket.previous_ticket_id)
    )


def status_in(*statuses: TicketStatus) -> ColumnElement[bool]:
    """Tickets in these statuses, written into the SQL so the partial indexes on status serve it."""
    return written_in(Ticket.status, *statuses)


def callable_at(desk_id: int) -> ColumnElement[bool]:
    """The tickets a desk may call: sent to it, or of a service it serves and not sent to another desk."""
    served = select(DeskService.service_id).where(DeskService.desk_id == desk_id)
    return or_(Ticket.target_desk_id == desk_id, and_(Ticket.target_desk_id.is_(None), Ticket.service_id.in_(served)))


def inside() -> ColumnElement[bool]:
    """Tickets whose holder is in the building: callNext passes over those waiting outside (remote)."""
    return Ticket.remote.is_(False)


# first in line first: the order callNext takes waiting tickets in (ix_tickets_waiting's keys)
LINE_ORDER = (Ticket.due_at, Ticket.id)


# built once: every queue change reads its ticket back (log.append)
_BY_ID = select_tickets().where(Ticket.id == bindparam("ticket_id"))


async def ticket(conn: AsyncConnection, ticket_id: int) -> TicketRecord | None:
    row = (await conn.execute(_BY_ID, {"ticket_id": ticket_id})).mappings().first()
    return record_from_row(TicketRecord, row) if row else None


async def successor(conn: AsyncConnection, ticket_id: int) -> TicketRecord | None:
    """The ticket a transfer created from this one, if any."""
    first = select_tickets().where(Ticket.previous_ticket_id == ticket_id).order_by(Ticket.id).limit(1)
    row = (await conn.execute(first)).mappings().first()
    return record_from_row(TicketRecord, row) if row else None
