"""Offices: upserted by slug (ADMIN only), read by anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Doc
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.records import OFFICE_COLUMNS, OfficeRecord

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


def _opening_hours(hours: list[OpeningHoursInput]) -> list[tuple[int, time, time]]:
    if len(hours) > MAX_OPENING_INTERVALS:
        raise ValidationFailed("openingHours", f"At most {MAX_OPENING_INTERVALS} opening intervals a week.")
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
        raise ValidationFailed(field, f"{field} must be between 0 and 1440 minutes.")
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
    rules = {
        field: _minutes(field, value)
        for field, value in (
            ("checkinOpensMinutes", data.checkin_opens_minutes),
            ("checkinClosesMinutes", data.checkin_closes_minutes),
            ("priorityHeadStartMinutes", data.priority_head_start_minutes),
        )
    }
    if data.max_occupancy is not None:
        validation.integer_range("maxOccupancy", data.max_occupancy, 0, 100_000)
    row = (
        (
            await conn.execute(
                # an absent front-desk rule keeps its current value (or the column default for a new office)
                text(f"""INSERT INTO offices AS o (slug, name, timezone, address, latitude, longitude,
                                          checkin_opens_minutes, checkin_closes_minutes, priority_head_start_minutes,
                                          max_occupancy)
                 VALUES (:slug, :name, :timezone, :address, :latitude, :longitude,
                         coalesce(:opens, 60), coalesce(:closes, 15), coalesce(:head_start, 15),
                         nullif(:occupancy, 0))
                 ON CONFLICT (slug) DO UPDATE SET
                    name = EXCLUDED.name, timezone = EXCLUDED.timezone, address = EXCLUDED.address,
                    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
                    checkin_opens_minutes = coalesce(:opens, o.checkin_opens_minutes),
                    checkin_closes_minutes = coalesce(:closes, o.checkin_closes_minutes),
                    priority_head_start_minutes = coalesce(:head_start, o.priority_head_start_minutes),
                    max_occupancy = CASE WHEN CAST(:occupancy AS integer) IS NULL THEN o.max_occupancy
                                         ELSE nullif(:occupancy, 0) END,
                    updated_at = now()
                 RETURNING {OFFICE_COLUMNS}"""),
                {
                    "slug": slug,
                    "name": name,
                    "timezone": timezone,
                    "address": address,
                    "latitude": data.latitude,
                    "longitude": data.longitude,
                    "opens": rules["checkinOpensMinutes"],
                    "closes": rules["checkinClosesMinutes"],
                    "head_start": rules["priorityHeadStartMinutes"],
                    "occupancy": data.max_occupancy,
                },
            )
        )
        .mappings()
        .one()
    )
    office = OfficeRecord.from_row(row)
    if hours is not None:
        # absent openingHours leaves them as they are; a list replaces them
        await conn.execute(text("DELETE FROM opening_hours WHERE office_id = :id"), {"id": office.id})
        if hours:
            await conn.execute(
                text("INSERT INTO opening_hours (office_id, weekday, opens, closes) VALUES (:id, :w, :o, :c)"),
                [{"id": office.id, "w": w, "o": o, "c": c} for w, o, c in hours],
            )
    return office


async def list_offices(conn: AsyncConnection) -> list[OfficeRecord]:
    rows = await conn.execute(text(f"SELECT {OFFICE_COLUMNS} FROM offices o ORDER BY o.name, o.id"))
    return [OfficeRecord.from_row(row) for row in rows.mappings()]
