"""Which seats suit a person: the offices they can go to, their days, weekdays and the local wall-clock window a
slot's start must fall in. A waitlist entry and a draw entry both carry them; every part is optional but the days.

The same rule twice, once in SQL (the waitlist matches a freed seat in the database) and once in Python (a draw
is computed, and replayed, from a snapshot of its seats): `slot_suits` and `Preferences.suits` must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

from sqlalchemy import BigInteger, Date, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.messages import msg
from core.validation import parse_id
from models.catalogue import office_services, offices

MAX_OFFICES = 50  # a handful of offices; "any" is no list at all


class Wanted(Protocol):
    """The preferences part of an entry's request (resolvers/booking/entry_request.py)."""

    @property
    def office_ids(self) -> list[str] | None: ...
    @property
    def from_date(self) -> date: ...
    @property
    def to_date(self) -> date: ...
    @property
    def weekdays(self) -> list[int] | None: ...
    @property
    def earliest(self) -> time | None: ...
    @property
    def latest(self) -> time | None: ...


@dataclass(frozen=True, slots=True)
class Preferences:
    office_ids: tuple[int, ...] | None
    from_date: date
    to_date: date
    weekdays: tuple[int, ...] | None = None  # ISO, 1 (Monday) to 7
    earliest: time | None = None
    latest: time | None = None

    def suits(self, office_id: int, local_start: datetime) -> bool:
        """A slot at this office starting at this wall-clock time (the office's own)."""
        day, clock = local_start.date(), local_start.time()
        return (
            (self.office_ids is None or office_id in self.office_ids)
            and self.from_date <= day <= self.to_date
            and (self.weekdays is None or local_start.isoweekday() in self.weekdays)
            and (self.earliest is None or clock >= self.earliest)
            and (self.latest is None or clock <= self.latest)
        )


def slot_suits(entry: str) -> str:
    """SQL: slot `sl` (of office `o`) suits the preferences of the row aliased `entry`."""
    local = "(sl.starts_at AT TIME ZONE o.timezone)"
    return f"""({entry}.office_ids IS NULL OR sl.office_id = ANY({entry}.office_ids))
      AND CAST({local} AS date) BETWEEN {entry}.from_date AND {entry}.to_date
      AND ({entry}.weekdays IS NULL OR CAST(extract(isodow FROM {local}) AS smallint) = ANY({entry}.weekdays))
      AND ({entry}.earliest IS NULL OR CAST({local} AS time) >= {entry}.earliest)
      AND ({entry}.latest IS NULL OR CAST({local} AS time) <= {entry}.latest)"""


def office_ids(values: list[str] | None, field: str = "input.officeIds") -> list[int] | None:
    if values is None:
        return None
    if not values or len(values) > MAX_OFFICES:
        raise ValidationFailed(field, msg("Name 1 to {count} offices, or none for any office.", count=MAX_OFFICES))
    numbers = [parse_id(value) for value in values]
    if any(number is None for number in numbers):
        raise ValidationFailed(field, "An office ID is not valid.")
    return sorted({number for number in numbers if number is not None})


def weekdays(values: list[int] | None, field: str = "input.weekdays") -> list[int] | None:
    if values is None:
        return None
    if not values or any(not 1 <= value <= 7 for value in values):
        raise ValidationFailed(field, "Name 1 to 7 ISO weekdays, 1 (Monday) to 7 (Sunday), or none for any day.")
    return sorted(set(values))


def time_window(earliest: time | None, latest: time | None, field: str = "input.latest") -> None:
    if earliest is not None and latest is not None and latest < earliest:
        raise ValidationFailed(field, "The latest start comes before the earliest.")


_OFFICES = bindparam("offices", type_=ARRAY(BigInteger))
_OFFERING = select(office_services.c.office_id).where(
    office_services.c.service_id == bindparam("service_id"), office_services.c.office_id == func.any(_OFFICES)
)

# "today" where the day turns last among the offices the entry may go to: until then its days have not passed
_TODAY = (
    select(func.coalesce(func.min(cast(func.timezone(offices.c.timezone, func.now()), Date)), func.current_date()))
    .select_from(offices.join(office_services, office_services.c.office_id == offices.c.id))
    .where(office_services.c.service_id == bindparam("service_id"))
)
_TODAY_AMONG = _TODAY.where(offices.c.id == func.any(_OFFICES))


async def wanted(conn: AsyncConnection, request: Wanted, service_id: int, window_days: int) -> dict[str, Any]:
    """The entry's preferences checked (offices that offer the procedure, days not passed and within its booking
    window, weekdays, a time window the right way round), as the entry tables' columns."""
    accepted = office_ids(request.office_ids)
    if accepted is not None:
        offering = set((await conn.execute(_OFFERING, {"service_id": service_id, "offices": accepted})).scalars())
        if offering != set(accepted):
            raise ValidationFailed("input.officeIds", "Some of these offices do not offer this procedure.")
    today_of = _TODAY if accepted is None else _TODAY_AMONG
    today: date = (await conn.execute(today_of, {"service_id": service_id, "offices": accepted})).scalar_one()
    if request.to_date < request.from_date:
        raise ValidationFailed("input.to", "The last day comes before the first.")
    if request.to_date < today:
        raise ValidationFailed("input.to", "These days have passed.")
    if (request.to_date - today).days > window_days:
        raise ValidationFailed(
            "input.to", msg("This procedure is booked at most {count} days ahead.", count=window_days)
        )
    time_window(request.earliest, request.latest)
    return {
        "office_ids": accepted,
        "from_date": request.from_date,
        "to_date": request.to_date,
        "weekdays": weekdays(request.weekdays),
        "earliest": request.earliest,
        "latest": request.latest,
    }
