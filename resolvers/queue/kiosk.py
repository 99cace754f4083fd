"""What a kiosk needs to keep working offline: blocks of walk-in numbers reserved while online, and
arrivals told afterwards with the time the citizen was at the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, LimitExceededError, NotAllowedError, ValidationFailed
from models.accounts import DeviceKind
from resolvers.accounts.viewer import Viewer
from resolvers.queue.log import local_day

MAX_BLOCK = 500
# a stolen kiosk token must not be able to run an office's numbers up without end
MAX_RESERVED_PER_DAY = 2000
# a kiosk's clock may run a little ahead of the database's; further ahead is a broken clock
CLOCK_TOLERANCE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class NumberBlockRecord:
    id: int
    office_id: int
    day: date
    first_number: int
    last_number: int


def _require_kiosk(viewer: Viewer, what: str) -> tuple[int, int]:
    if viewer.device_kind is not DeviceKind.KIOSK or viewer.device_id is None or viewer.device_office_id is None:
        raise NotAllowedError(f"Only kiosks {what}.")
    return viewer.device_id, viewer.device_office_id


async def now(conn: AsyncConnection) -> datetime:
    value: datetime = (await conn.execute(text("SELECT now()"))).scalar_one()
    return value


# the same day rule as log._NEXT_NUMBER: a counter still on an earlier day starts the new day at 1
_RESERVE = text("""
    INSERT INTO office_queue_counters (office_id, ticket_day, last_ticket_number) VALUES (:office_id, :day, :count)
    ON CONFLICT (office_id) DO UPDATE SET
        last_ticket_number = CASE WHEN office_queue_counters.ticket_day = EXCLUDED.ticket_day
                                  THEN office_queue_counters.last_ticket_number + :count ELSE :count END,
        ticket_day = EXCLUDED.ticket_day
    RETURNING last_ticket_number
""")


async def reserve_numbers(conn: AsyncConnection, viewer: Viewer, count: int) -> NumberBlockRecord:
    """Advances the office's counter by `count` for today (office time) and records the block for this kiosk."""
    device_id, office_id = _require_kiosk(viewer, "reserve ticket numbers")
    if not 1 <= count <= MAX_BLOCK:
        raise ValidationFailed("count", f"count must be 1 to {MAX_BLOCK}.")
    timezone = (await conn.execute(text("SELECT timezone FROM offices WHERE id = :id"), {"id": office_id})).scalar_one()
    day = local_day(await now(conn), timezone)
    last = (await conn.execute(_RESERVE, {"office_id": office_id, "day": day, "count": count})).scalar_one()
    # counted under the counter's row lock (just taken), so two reservations at once cannot both slip under
    already = (
        await conn.execute(
            text("""SELECT coalesce(sum(last_number - first_number + 1), 0) FROM ticket_number_blocks
                    WHERE device_id = :device AND day = :day"""),
            {"device": device_id, "day": day},
        )
    ).scalar_one()
    if already + count > MAX_RESERVED_PER_DAY:
        raise LimitExceededError(
            f"This kiosk already reserved {already} numbers today; at most {MAX_RESERVED_PER_DAY} a day."
        )
    block_id = (
        await conn.execute(
            text("""INSERT INTO ticket_number_blocks (device_id, office_id, day, first_number, last_number)
                    VALUES (:device, :office, :day, :first, :last) RETURNING id"""),
            {"device": device_id, "office": office_id, "day": day, "first": last - count + 1, "last": last},
        )
    ).scalar_one()
    return NumberBlockRecord(id=block_id, office_id=office_id, day=day, first_number=last - count + 1, last_number=last)


# the office's first opening on a weekday: the earliest anyone can have stood at its kiosk that day
_OPENS = text("SELECT min(opens) FROM opening_hours WHERE office_id = :office AND weekday = :weekday")


async def arrival_time(
    conn: AsyncConnection,
    viewer: Viewer,
    arrived_at: datetime | None,
    *,
    office_id: int,
    timezone: str,
    max_offline: timedelta,
) -> datetime:
    """When the citizen arrived: now, or (kiosks replaying what they did offline) the time they were at the
    kiosk, so that queue order and check-in windows are those of the real arrival. Bounded: not in the
    future beyond a small clock difference, on the office's same local day, and no earlier than the kiosk's
    spool can really have held an arrival (`max_offline`) or than the office opened that day: an earlier
    time would put its ticket ahead of everyone who came before it. Out of bounds is a ValidationError on
    arrivedAt, which the kiosk answers by sending the arrival again as now."""
    current = await now(conn)
    if arrived_at is None:
        return current
    _require_kiosk(viewer, "tell when a citizen arrived")
    if arrived_at.tzinfo is None:
        raise ValidationFailed("arrivedAt", "arrivedAt needs a UTC offset.")
    if arrived_at > current + CLOCK_TOLERANCE:
        raise ValidationFailed("arrivedAt", "arrivedAt is in the future; check the kiosk's clock.")
    arrived_at = min(arrived_at, current)
    day = local_day(current, timezone)
    if local_day(arrived_at, timezone) != day:
        raise InvalidStateError(
            "This arrival was on an earlier day: its ticket can no longer be issued.",
            reason=InvalidStateReason.ARRIVAL_OTHER_DAY,
        )
    if arrived_at < current - max_offline:
        raise ValidationFailed(
            "arrivedAt", f"arrivedAt is more than {max_offline} ago, longer than a kiosk may hold an arrival."
        )
    opens = (await conn.execute(_OPENS, {"office": office_id, "weekday": day.isoweekday()})).scalar()
    if opens is not None and arrived_at < datetime.combine(day, opens, tzinfo=ZoneInfo(timezone)):
        raise ValidationFailed("arrivedAt", f"arrivedAt is before the office opened today ({opens:%H:%M}).")
    return arrived_at


async def claim_block_number(conn: AsyncConnection, viewer: Viewer, office_id: int, day: date, number: int) -> int:
    """A number from this kiosk's own block for this office and day, not used yet. Holds the office's counter
    row, as every numbering does, so two replays of one number cannot both pass."""
    device_id, _ = _require_kiosk(viewer, "use reserved ticket numbers")
    await conn.execute(text("SELECT 1 FROM office_queue_counters WHERE office_id = :o FOR UPDATE"), {"o": office_id})
    reserved = (
        await conn.execute(
            text("""SELECT 1 FROM ticket_number_blocks
                    WHERE device_id = :device AND office_id = :office AND day = :day
                      AND :number BETWEEN first_number AND last_number"""),
            {"device": device_id, "office": office_id, "day": day, "number": number},
        )
    ).scalar()
    if not reserved:
        raise ValidationFailed(
            "blockNumber", "This number is not in a block this kiosk reserved for this office and day."
        )
    used = (
        await conn.execute(
            text("SELECT number FROM tickets WHERE office_id = :office AND day = :day AND day_number = :number"),
            {"office": office_id, "day": day, "number": number},
        )
    ).scalar()
    if used is not None:
        raise InvalidStateError(
            f"Number {used} was already given to another ticket.", reason=InvalidStateReason.NUMBER_USED
        )
    return number
