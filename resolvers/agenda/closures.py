"""Closures and holidays: no slots are released for that day, and slots already released are closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Id
from models.accounts import Role
from models.agenda import closures
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import ClosureRecord
from resolvers.catalogue.lookups import require_office
from resolvers.outbox.facts import facts_sql


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureInput:
    office_id: Id | None = None
    date: date
    reason: str | None = None


# The office's local day as a UTC range. Slots close; their bookings are cancelled with the seats given
# back, a history event and a cancellation in the outbox, all in the closure's transaction. Native SQL: one
# statement of writable CTEs, whose shared snapshot the seat count below relies on.
_CLOSE_DAY = text(f"""
    WITH closing AS (
        -- one UPDATE per row: the seats of the bookings cancelled below come back here, since a statement's
        -- CTEs share one snapshot and a second UPDATE of the same slot would be ignored
        UPDATE slots sl SET closed = true,
            booked = sl.booked - (SELECT coalesce(sum(b.party_size), 0) FROM bookings b
                                  WHERE b.slot_id = sl.id AND b.status IN ('PENDING', 'BOOKED'))
        FROM offices o
        WHERE o.id = sl.office_id
          AND (CAST(:office_id AS bigint) IS NULL OR o.id = :office_id)
          AND sl.starts_at >= (CAST(:day AS date) + time '00:00') AT TIME ZONE o.timezone
          AND sl.starts_at < (CAST(:day AS date) + 1 + time '00:00') AT TIME ZONE o.timezone
          AND NOT sl.closed
        RETURNING sl.id
    ),
    cancelled AS (
        UPDATE bookings b SET status = 'CANCELLED'
        WHERE b.slot_id IN (SELECT id FROM closing) AND b.status IN ('PENDING', 'BOOKED')
        RETURNING b.*
    ),
    events AS (
        INSERT INTO booking_events (booking_id, status, actor, note)
        SELECT id, 'CANCELLED', :actor, :note FROM cancelled
    ),
    messages AS (
        INSERT INTO outbox (kind, booking_id, payload, event_facts)
        -- the closure's own reason, as the manager wrote it: the citizen's mail says it in the citizen's language
        SELECT 'booking.cancellation', id, jsonb_build_object('reason', CAST(:reason AS text), 'closure', true),
               {facts_sql("cancelled")}
        FROM cancelled
    )
    SELECT (SELECT count(*) FROM closing) AS slots, (SELECT count(*) FROM cancelled) AS bookings
""")


# one closure a day for each office, and one for all of them (office_id NULL)
_ONE_A_DAY = next(index for index in closures.indexes if index.name == "uq_closures_office_date")


async def add_closure(conn: AsyncConnection, viewer: Viewer, data: ClosureInput) -> ClosureRecord:
    office_id = None
    if data.office_id is None:
        viewer.require_admin()
    else:
        office_id = (await require_office(conn, "officeId", data.office_id)).id
        viewer.require_role(office_id, Role.MANAGER)
    reason = validation.optional_text("reason", data.reason, max_length=300)
    today = (await conn.execute(select(cast(func.now(), Date) - 1))).scalar_one()
    if data.date < today:
        raise ValidationFailed("date", "A closure cannot be in the past.")
    upsert = insert(closures).values(office_id=office_id, date=data.date, reason=reason)
    upsert = upsert.on_conflict_do_update(
        index_elements=_ONE_A_DAY.expressions, set_={"reason": upsert.excluded.reason}
    )
    row = (await conn.execute(upsert.returning(closures.c.id))).scalar_one()
    note = f"Office closed that day: {reason}" if reason else "Office closed that day"
    closed = (
        (
            await conn.execute(
                _CLOSE_DAY,
                {"office_id": office_id, "day": data.date, "actor": viewer.caller, "note": note, "reason": reason},
            )
        )
        .mappings()
        .one()
    )
    return ClosureRecord(
        id=row,
        office_id=office_id,
        date=data.date,
        reason=reason,
        slots_closed=closed["slots"],
        bookings_cancelled=closed["bookings"],
    )
