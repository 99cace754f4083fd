"""The waiting line a desk works from: who waits, first in line first, in the order callNext takes them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, NotAllowedError, NotFoundError
from core.validation import parse_id
from models.catalogue import Desk
from models.queue import Ticket, TicketStatus
from resolvers.accounts.viewer import Viewer
from resolvers.queue.access import is_desk_staff
from resolvers.queue.records import TicketRecord
from resolvers.queue.tickets import LINE_ORDER, callable_at, inside, select_tickets, status_in
from resolvers.rows import records_from_rows

MAX_LINE = 500


async def waiting_tickets(
    conn: AsyncConnection, viewer: Viewer, office_id: str, desk_id: str | None, limit: int
) -> list[TicketRecord]:
    office = parse_id(office_id)
    if office is None:
        raise NotFoundError("No office has this ID.")
    if not is_desk_staff(viewer, office):
        raise NotAllowedError("Only the office's clerks and managers see its waiting line.")
    if not 1 <= limit <= MAX_LINE:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_LINE}.")
    line = select_tickets().where(Ticket.office_id == office, status_in(TicketStatus.WAITING))
    if desk_id is not None:
        desk = parse_id(desk_id)
        if desk is None or (await conn.execute(select(Desk.office_id).where(Desk.id == desk))).scalar() != office:
            raise NotFoundError("This office has no desk with this ID.")
        # the tickets callNext at that desk would take, in its order: the first row is the next one called (those
        # waiting outside are passed over until they come in; without deskId they are listed, marked remote)
        line = line.where(callable_at(desk), inside())
    rows = await conn.execute(line.order_by(*LINE_ORDER).limit(limit))
    return records_from_rows(TicketRecord, rows.mappings())
