"""Closures and holidays: no slots are released for that day, and slots already released are closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import ClosureRecord
from resolvers.catalogue.lookups import require_office


@dataclass(frozen=True, slots=True)
class ClosureInput:
    office_id: str | None
    date: date
    reason: str | None = None


# the office's local day, as a UTC range, so that the (office_id, starts_at) index is used
_CLOSE_SLOTS = text("""
    UPDATE slots sl SET closed = true
    FROM offices o
    WHERE o.id = sl.office_id
      AND (CAST(:office_id AS bigint) IS NULL OR o.id = :office_id)
      AND sl.starts_at >= (CAST(:day AS date) + time '00:00') AT TIME ZONE o.timezone
      AND sl.starts_at < (CAST(:day AS date) + 1 + time '00:00') AT TIME ZONE o.timezone
      AND NOT sl.closed
""")


async def add_closure(conn: AsyncConnection, viewer: Viewer, data: ClosureInput) -> ClosureRecord:
    office_id = None
    if data.office_id is None:
        viewer.require_admin()
    else:
        office_id = (await require_office(conn, "officeId", data.office_id)).id
        viewer.require_role(office_id, Role.MANAGER)
    reason = validation.optional_text("reason", data.reason, max_length=300)
    today = (await conn.execute(text("SELECT CAST(now() AS date) - 1"))).scalar_one()
    if data.date < today:
        raise ValidationFailed("date", "A closure cannot be in the past.")
    row = (
        await conn.execute(
            text("""INSERT INTO closures (office_id, date, reason) VALUES (:office_id, :day, :reason)
                ON CONFLICT (coalesce(office_id, 0), date) DO UPDATE SET reason = EXCLUDED.reason
                RETURNING id"""),
            {"office_id": office_id, "day": data.date, "reason": reason},
        )
    ).scalar_one()
    closed = await conn.execute(_CLOSE_SLOTS, {"office_id": office_id, "day": data.date})
    return ClosureRecord(id=row, office_id=office_id, date=data.date, reason=reason, slots_closed=closed.rowcount)
