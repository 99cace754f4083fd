"""Offices: upserted by slug (ADMIN only), read by anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Doc
from core.messages import msg
from models.catalogue import offices, opening_hours
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.records import OFFICE, OfficeRecord
from resolvers.rows import record_from_row, records_from_rows

# a week's opening intervals: split days with room to spare, and what Office.openingHours is bounded by
MAX_OPENING_INTERVALS = 50


@dataclass(frozen=True, slots=True)
class OpeningHoursInput:
    weekday: int
    opens: str
    closes: str


@dataclass(frozen=True, slots=True)
class OfficeInput:
    slug: str
    name: str
    timezone: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: list[OpeningHoursInput] | None = None
    checkin_opens_minutes: Annotated[
        int | None, Doc("Check-in opens this many minutes before the appointment (default 60).")
    ] = None
    checkin_closes_minutes: Annotated[
        int | None, Doc("Check-in closes this many minutes after the appointment (default 15).")
    ] = None
    priority_head_start_minutes: Annotated[
        int | None, Doc("PRIORITY tickets join the line as if they had come this much earlier (default 15).")
    ] = None
    max_occupancy: Annotated[
        int | None,
        Doc(
            "How many people the premises may hold at once (officeLive compares with it); 0 clears it, absent keeps it."
        ),
    ] = None
    remote_queue: Annotated[
        bool | None,
        Doc("Citizens may join the line from home (joinQueue); absent keeps it, a new office: false."),
    ] = None
    remote_head_in_places: Annotated[
        int | None,
        Doc("A remote ticket is told to come in this many places from the front, 1 to 100 (default 3)."),
    ] = None


def _opening_hours(hours: list[OpeningHoursInput]) -> list[tuple[int, time, time]]:
    if len(hours) > MAX_OPENING_INTERVALS:
        raise ValidationFailed(
            "openingHours", msg("At most {count} opening intervals a week.", count=MAX_OPENING_INTERVALS)
        )
    intervals: list[tuple[int, time, time]] = []
    for index, entry in enumerate(hours):
        field = f"openingHours.{index}"
        validation.integer_range(f"{field}.weekday", entry.weekday, 1, 7)
        opens = validation.hhmm(f"{field}.opens", entry.opens)
        closes = validation.hhmm(f"{field}.closes", entry.closes)
        if closes <= opens:
            raise ValidationFailed(f"{field}.closes", "closes must be later than opens.")
        for other_weekday, other_opens, other_closes in intervals:
            if other_weekday == entry.weekday and opens < other_closes and other_opens < closes:
                raise ValidationFailed(field, "Opening intervals of the same weekday overlap.")
        intervals.append((entry.weekday, opens, closes))
    return intervals


def _minutes(field: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 24 * 60:
        raise ValidationFailed(field, msg("{field} must be between 0 and 1440 minutes.", field=field))
    return value


async def upsert_office(conn: AsyncConnection, viewer: Viewer, data: OfficeInput) -> OfficeRecord:
    viewer.require_admin()
    slug = validation.slug("slug", data.slug)
    name = validation.text_field("name", data.name, max_length=200)
    timezone = validation.timezone("timezone", data.timezone)
    address = validation.optional_text("address", data.address, max_length=300)
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise ValidationFailed("latitude", "latitude must be between -90 and 90.")
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise ValidationFailed("longitude", "longitude must be between -180 and 180.")
    if (data.latitude is None) != (data.longitude is None):
        raise ValidationFailed("longitude", "Give both latitude and longitude, or neither.")
    hours = _opening_hours(data.opening_hours) if data.opening_hours is not None else None
    # an absent front-desk rule keeps its current value (a new office: the column's default), as does an
    # absent maxOccupancy; maxOccupancy 0 clears it
    given: dict[str, int | bool | None] = {
        column: value
        for column, field, value in (
            ("checkin_opens_minutes", "checkinOpensMinutes", data.checkin_opens_minutes),
            ("checkin_closes_minutes", "checkinClosesMinutes", data.checkin_closes_minutes),
            ("priority_head_start_minutes", "priorityHeadStartMinutes", data.priority_head_start_minutes),
        )
        if _minutes(field, value) is not None
    }
    if data.max_occupancy is not None:
        validation.integer_range("maxOccupancy", data.max_occupancy, 0, 100_000)
        given["max_occupancy"] = data.max_occupancy or None
    if data.remote_head_in_places is not None:
        validation.integer_range("remoteHeadInPlaces", data.remote_head_in_places, 1, 100)
        given["remote_head_in_places"] = data.remote_head_in_places
    if data.remote_queue is not None:
        given["remote_queue"] = data.remote_queue
    upsert = insert(offices).values(
        slug=slug,
        name=name,
        timezone=timezone,
        address=address,
        latitude=data.latitude,
        longitude=data.longitude,
        **given,
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[offices.c.slug],
        set_={
            **{column: upsert.excluded[column] for column in ("name", "timezone", "address", "latitude", "longitude")},
            **{column: upsert.excluded[column] for column in given},
            "updated_at": func.now(),
        },
    )
    row = (await conn.execute(upsert.returning(*OFFICE.selected_columns))).mappings().one()
    office = record_from_row(OfficeRecord, row)
    if hours is not None:
        # absent openingHours leaves them as they are; a list replaces them
        await conn.execute(delete(opening_hours).where(opening_hours.c.office_id == office.id))
        if hours:
            await conn.execute(
                insert(opening_hours),
                [{"office_id": office.id, "weekday": w, "opens": o, "closes": c} for w, o, c in hours],
            )
    return office


async def list_offices(conn: AsyncConnection) -> list[OfficeRecord]:
    rows = await conn.execute(OFFICE.order_by(offices.c.name, offices.c.id))
    return records_from_rows(OfficeRecord, rows.mappings())
