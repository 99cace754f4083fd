"""Agendas: how many citizens per slot, which weekdays and hours, for one service at one office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Annotated

from sqlalchemy import insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Doc, Id, Mark
from core.messages import msg
from models.accounts import Role
from models.agenda import agendas
from models.catalogue import offices
from resolvers.accounts.viewer import Viewer
from resolvers.agenda.records import AGENDA, AgendaRecord
from resolvers.catalogue.desks import offer_services
from resolvers.catalogue.lookups import require_office, require_service
from resolvers.rows import record_from_row, records_from_rows

MAX_CAPACITY = 1000


# shorter slots are never needed (capacity gives a slot more seats), and this bounds a day's slots
# (schema/bounds.py MAX_SLOTS_PER_DAY)
MIN_SLOT_MINUTES = 5

# seats kept for the phone line longer than a booking window makes sense are never opened to anyone else
MAX_RESERVED_UNTIL_HOURS = 24 * 366


@dataclass(frozen=True, slots=True)
class AgendaInput:
    office_id: Id
    service_id: Id
    weekdays: list[int]
    start_time: str
    end_time: str
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date | None = None
    reserved_seats: Annotated[
        int,
        Mark.NULL_MEANS_DEFAULT,
        Doc("Seats of each slot kept for PHONE and DESK bookings (the 0800 line, the desk); default 0."),
    ] = 0
    reserved_until_hours: Annotated[
        int,
        Mark.NULL_MEANS_DEFAULT,
        Doc("From this many hours before a slot starts, anyone may book its reserved seats; default 24."),
    ] = 24


def _minutes_between(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


async def add_agenda(conn: AsyncConnection, viewer: Viewer, data: AgendaInput) -> AgendaRecord:
    office = await require_office(conn, "officeId", data.office_id)
    viewer.require_role(office.id, Role.MANAGER)
    service = await require_service(conn, "serviceId", data.service_id)
    if not data.weekdays:
        raise ValidationFailed("weekdays", "An agenda needs at least one weekday.")
    for index, weekday in enumerate(data.weekdays):
        validation.integer_range(f"weekdays.{index}", weekday, 1, 7)
    weekdays = sorted(set(data.weekdays))
    start = validation.hhmm("startTime", data.start_time)
    end = validation.hhmm("endTime", data.end_time)
    if end <= start:
        raise ValidationFailed("endTime", "endTime must be later than startTime.")
    span = _minutes_between(start, end)
    if not MIN_SLOT_MINUTES <= data.slot_minutes <= span:
        raise ValidationFailed(
            "slotMinutes",
            msg("slotMinutes must be between {min} and the agenda's length ({span}).", min=MIN_SLOT_MINUTES, span=span),
        )
    validation.integer_range("capacity", data.capacity, 1, MAX_CAPACITY)
    validation.integer_range("reservedSeats", data.reserved_seats, 0, data.capacity)
    validation.integer_range("reservedUntilHours", data.reserved_until_hours, 0, MAX_RESERVED_UNTIL_HOURS)
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise ValidationFailed("validTo", "validTo must not be before validFrom.")
    # one agenda at a time per office, so that two overlapping ones cannot both pass the check below
    await conn.execute(select(offices.c.id).where(offices.c.id == office.id).with_for_update())
    overlapping = (
        await conn.execute(
            select(agendas.c.id)
            .where(
                agendas.c.office_id == office.id,
                agendas.c.service_id == service.id,
                agendas.c.weekdays.overlap(weekdays),
                agendas.c.start_time < end,
                agendas.c.end_time > start,
                # an open end (valid_to NULL) reaches every later day
                true() if data.valid_to is None else agendas.c.valid_from <= data.valid_to,
                or_(agendas.c.valid_to.is_(None), agendas.c.valid_to >= data.valid_from),
            )
            .limit(1)
        )
    ).scalar()
    if overlapping is not None:
        raise ValidationFailed(
            "startTime", msg("This agenda overlaps agenda {agenda} of the same service.", agenda=overlapping)
        )
    added = (
        insert(agendas)
        .values(
            office_id=office.id,
            service_id=service.id,
            weekdays=weekdays,
            start_time=start,
            end_time=end,
            slot_minutes=data.slot_minutes,
            capacity=data.capacity,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            reserved_seats=data.reserved_seats,
            reserved_until_hours=data.reserved_until_hours,
        )
        .returning(*AGENDA.selected_columns)
    )
    row = (await conn.execute(added)).mappings().one()
    await offer_services(conn, office.id, [service.id])
    return record_from_row(AgendaRecord, row)


async def list_agendas(conn: AsyncConnection, office_id: int) -> list[AgendaRecord]:
    rows = await conn.execute(
        AGENDA.where(agendas.c.office_id == office_id).order_by(agendas.c.service_id, agendas.c.id)
    )
    return records_from_rows(AgendaRecord, rows.mappings())
