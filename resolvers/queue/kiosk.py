"""What a kiosk needs to keep working offline: blocks of walk-in numbers reserved while online, and
arrivals told afterwards with the time the citizen was at the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, InvalidStateReason, LimitExceededError, NotAllowedError, ValidationFailed
from models.accounts import DeviceKind
from models.catalogue import Office, OpeningHours
from models.queue import OfficeQueueCounter, Ticket, TicketNumberBlock
from resolvers.accounts.viewer import Viewer
from resolvers.queue.log import OFFLINE_FLOOR, OFFLINE_TOP, local_day

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
    value: datetime = (await conn.execute(select(func.now()))).scalar_one()
    return value


# the same day rule as log._NEXT_NUMBER: a counter still on an earlier day starts the new day at 1.
# Native like that one: the counter's upsert with its day rule, one statement under the row lock.
_RESERVE = text("""
    INSERT INTO office_queue_counters (office_id, ticket_day, last_ticket_number) VALUES (:office_id, :day, :count)
    ON CONFLICT (office_id) DO UPDATE SET
        last_ticket_number = CASE WHEN office_queue_counters.ticket_day = EXCLUDED.ticket_day
                                  THEN office_queue_counters.last_ticket_number + :count ELSE :count END,
        ticket_day = EXCLUDED.ticket_day
    RETURNING last_ticket_number
""")


async def reserve_numbers(conn: AsyncConnection, viewer: Viewer, count: int) -> NumberBlockRecord:
    """A block of today's numbers (office time) for this kiosk to give out offline.

    Taken from the top of the day's numbers downwards (999, 998 … never below OFFLINE_FLOOR), not from the
    counter: reserving used to advance the office's counter by the block, so the next walk-in after D-004 was
    D-055. Only when the top has no room left (a day past the floor, or many blocks) does the block come after
    every number given so far, advancing the counter as before."""
    device_id, office_id = _require_kiosk(viewer, "reserve ticket numbers")
    if not 1 <= count <= MAX_BLOCK:
        raise ValidationFailed("count", f"count must be 1 to {MAX_BLOCK}.")
    timezone = (await conn.execute(select(Office.timezone).where(Office.id == office_id))).scalar_one()
    day = local_day(await now(conn), timezone)
    # advancing by nothing: the counter's row lock (every numbering takes it) and today's last number
    counter = (await conn.execute(_RESERVE, {"office_id": office_id, "day": day, "count": 0})).scalar_one()
    # counted under the counter's row lock (just taken), so two reservations at once cannot both slip under
    block_size = TicketNumberBlock.last_number - TicketNumberBlock.first_number + 1
    already = (
        await conn.execute(
            select(func.coalesce(func.sum(block_size), 0)).where(
                TicketNumberBlock.device_id == device_id, TicketNumberBlock.day == day
            )
        )
    ).scalar_one()
    if already + count > MAX_RESERVED_PER_DAY:
        raise LimitExceededError(
            f"This kiosk already reserved {already} numbers today; at most {MAX_RESERVED_PER_DAY} a day."
        )
    blocks = (
        await conn.execute(
            select(TicketNumberBlock.first_number, TicketNumberBlock.last_number).where(
                TicketNumberBlock.office_id == office_id, TicketNumberBlock.day == day
            )
        )
    ).all()
    # the blocks above the counter are the ones taken from the top; the next goes just below them
    top = min((first for first, _ in blocks if first > counter), default=OFFLINE_TOP + 1) - 1
    first, last = top - count + 1, top
    if first <= max(counter, OFFLINE_FLOOR - 1):
        first = max([counter, *(end for _, end in blocks)]) + 1
        last = first + count - 1
        await conn.execute(_RESERVE, {"office_id": office_id, "day": day, "count": last - counter})
    block_id = (
        await conn.execute(
            insert(TicketNumberBlock)
            .values(device_id=device_id, office_id=office_id, day=day, first_number=first, last_number=last)
            .returning(TicketNumberBlock.id)
        )
    ).scalar_one()
    return NumberBlockRecord(id=block_id, office_id=office_id, day=day, first_number=first, last_number=last)


# the office's first opening on a weekday: the earliest anyone can have stood at its kiosk that day
_OPENS = select(func.min(OpeningHours.opens))


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
    opens = (
        await conn.execute(_OPENS.where(OpeningHours.office_id == office_id, OpeningHours.weekday == day.isoweekday()))
    ).scalar()
    if opens is not None and arrived_at < datetime.combine(day, opens, tzinfo=ZoneInfo(timezone)):
        raise ValidationFailed("arrivedAt", f"arrivedAt is before the office opened today ({opens:%H:%M}).")
    return arrived_at


async def claim_block_number(conn: AsyncConnection, viewer: Viewer, office_id: int, day: date, number: int) -> int:
    """A number from this kiosk's own block for this office and day, not used yet. Holds the office's counter
    row, as every numbering does, so two replays of one number cannot both pass."""
    device_id, _ = _require_kiosk(viewer, "use reserved ticket numbers")
    await conn.execute(
        select(OfficeQueueCounter.office_id).where(OfficeQueueCounter.office_id == office_id).with_for_update()
    )
    reserved = (
        await conn.execute(
            select(TicketNumberBlock.id).where(
                TicketNumberBlock.device_id == device_id,
                TicketNumberBlock.office_id == office_id,
                TicketNumberBlock.day == day,
                TicketNumberBlock.first_number <= number,
                TicketNumberBlock.last_number >= number,
            )
        )
    ).scalar()
    if not reserved:
        raise ValidationFailed(
            "blockNumber", "This number is not in a block this kiosk reserved for this office and day."
        )
    used = (
        await conn.execute(
            select(Ticket.number).where(Ticket.office_id == office_id, Ticket.day == day, Ticket.day_number == number)
        )
    ).scalar()
    if used is not None:
        raise InvalidStateError(
            f"Number {used} was already given to another ticket.", reason=InvalidStateReason.NUMBER_USED
        )
    return number
