"""A desk's day sheet: the appointments its services have at its office on one local day, for the clerk
(CSV to print, .ics for a calendar). Staff of that office (CLERK, MANAGER) and ADMIN only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Select, String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.validation import parse_id
from models.accounts import Role
from models.booking import Booking, BookingStatus
from models.catalogue import Desk, DeskService, Office, Service
from models.queue import Ticket
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.translations import translated
from resolvers.rows import records_from_rows


@dataclass(frozen=True, slots=True)
class SheetEntry:
    booking_id: int
    starts_at: datetime
    ends_at: datetime
    service_name: str
    code: str
    citizen_name: str
    document_hint: str
    status: str
    ticket_number: str | None


@dataclass(frozen=True, slots=True)
class DaySheet:
    desk_name: str
    office_name: str
    office_address: str | None
    timezone: str
    day: date
    entries: tuple[SheetEntry, ...]


_DESK = select(
    Desk.id, Desk.name, Office.id.label("office_id"), Office.name.label("office_name"), Office.address, Office.timezone
).join_from(Desk, Office, Office.id == Desk.office_id)


def _entries(office_id: int, desk_id: int, day: date, language: str) -> Select[*tuple[Any, ...]]:
    """The day's appointments of the desk's services (named in `language` where translated); the day's bounds
    in the office's zone, a day wider in UTC so the index on (office, start) narrows it."""
    on_day = literal(day, Date)
    return (
        select(
            Booking.id.label("booking_id"),
            Booking.starts_at,
            Booking.ends_at,
            translated("name", language).label("service_name"),
            Booking.code,
            Booking.citizen_name,
            Booking.document_hint,
            cast(Booking.status, String).label("status"),
            Ticket.number.label("ticket_number"),
        )
        .join_from(Booking, Service, Service.id == Booking.service_id)
        .join(Office, Office.id == Booking.office_id)
        .outerjoin(Ticket, and_(Ticket.booking_id == Booking.id, Ticket.previous_ticket_id.is_(None)))
        .where(
            Booking.office_id == office_id,
            Booking.service_id.in_(select(DeskService.service_id).where(DeskService.desk_id == desk_id)),
            Booking.status != BookingStatus.CANCELLED,
            Booking.starts_at >= on_day - 1,
            Booking.starts_at < on_day + 2,
            cast(func.timezone(Office.timezone, Booking.starts_at), Date) == day,
        )
        .order_by(Booking.starts_at, Booking.id)
    )


async def day_sheet(conn: AsyncConnection, viewer: Viewer, desk_id: str, day: date, language: str) -> DaySheet:
    desk_number = parse_id(desk_id)
    found = _DESK.where(Desk.id == desk_number)
    desk = (await conn.execute(found)).mappings().one_or_none() if desk_number else None
    if desk is None:
        raise ValidationFailed("deskId", "No desk has this ID.")
    viewer.require_role(desk["office_id"], Role.CLERK, Role.MANAGER)
    rows = await conn.execute(_entries(desk["office_id"], desk["id"], day, language))
    entries = tuple(records_from_rows(SheetEntry, rows.mappings()))
    return DaySheet(desk["name"], desk["office_name"], desk["address"], desk["timezone"], day, entries)
