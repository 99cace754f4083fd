"""The waiting line a desk works from: who waits, first in line first, in the order callNext takes them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, NotAllowedError, NotFoundError
from core.validation import parse_id
from resolvers.accounts.viewer import Viewer
from resolvers.queue.access import is_desk_staff
from resolvers.queue.records import TICKET_COLUMNS, TicketRecord

MAX_LINE = 500

# With a desk: the tickets callNext at that desk would take (sent to it, or of a service it serves, not sent
# to another desk); the same ORDER BY as callNext, so the first row is the next one called.
_LINE = text(f"""
    SELECT {TICKET_COLUMNS} FROM tickets t JOIN offices o ON o.id = t.office_id
    WHERE t.office_id = :office_id AND t.status = 'WAITING'
      AND (CAST(:desk_id AS bigint) IS NULL
           OR t.target_desk_id = :desk_id
           OR (t.target_desk_id IS NULL
               AND t.service_id IN (SELECT service_id FROM desk_services WHERE desk_id = :desk_id)))
    ORDER BY t.due_at, t.id
    LIMIT :limit
""")


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
    desk = None
    if desk_id is not None:
        desk = parse_id(desk_id)
        found = await conn.execute(text("SELECT office_id FROM desks WHERE id = :id"), {"id": desk}) if desk else None
        if found is None or found.scalar() != office:
            raise NotFoundError("This office has no desk with this ID.")
    rows = await conn.execute(_LINE, {"office_id": office, "desk_id": desk, "limit": limit})
    return [TicketRecord.from_row(row) for row in rows.mappings()]
