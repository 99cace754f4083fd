from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import strawberry

from realtime.sharing import READS_NO_VIEWER
from resolvers.agenda.office_day import HoldKinds, sees_seats
from resolvers.agenda.records import AgendaRecord, ClosureRecord, ReleaseReportRecord, SlotRecord
from resolvers.availability.queries import AvailabilityDayRecord
from schema.bounds import MAX_SLOTS_PER_DAY, ListBound
from schema.catalogue.types import Office, Service, load_office, load_service
from schema.context import Info


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@strawberry.type
class Slot:
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int = strawberry.field(
        description="Seats still free to anyone: bookings, live holds and the seats kept for the phone line and "
        "the desk (reserved) count as taken. availability and earliestSlots answer staff with the reserved seats "
        "counted as free."
    )
    held: int = strawberry.field(
        description="Seats taken by holds that have not expired: citizens' (holdSlot), offers to the waitlist "
        "(offered) and freed seats kept back (keptBack)."
    )
    reserved: int = strawberry.field(
        description="Seats the agenda still keeps for PHONE and DESK bookings (reservedSeats); 0 from "
        "reservedUntilHours before the slot starts."
    )
    booked: int = strawberry.field(description="Seats taken by bookings (confirmed or awaiting confirmation).")
    pk: strawberry.Private[int]
    office_pk: strawberry.Private[int]
    service_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: SlotRecord, with_reserved: bool = False) -> Slot:
        """with_reserved: the caller is staff, who may book the reserved seats."""
        # shown with the office's own offset, so that 09:00 reads as 09:00 wherever the client is
        office_zone = zone(record.timezone)
        return cls(
            id=strawberry.ID(str(record.id)),
            starts_at=record.starts_at.astimezone(office_zone),
            ends_at=record.ends_at.astimezone(office_zone),
            capacity=record.capacity,
            remaining=record.remaining_for(with_reserved),
            held=record.held,
            reserved=record.reserved,
            booked=record.booked,
            pk=record.id,
            office_pk=record.office_id,
            service_pk=record.service_id,
        )

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)

    @strawberry.field(
        description="Of `held`, the seats offered to a waitlist entry until it accepts or its offer ends. Staff of "
        "the slot's office only (null for anyone else)."
    )
    async def offered(self, info: Info) -> int | None:
        kinds = await _hold_kinds(info, self)
        return kinds.offered if kinds else None

    @strawberry.field(
        description="Of `held`, freed seats nobody on the waitlist wanted, kept back for "
        "TURNERO_RERELEASE_DELAY_MINUTES before anyone may book them. Staff of the slot's office only (null for "
        "anyone else: it would tell a watcher when a seat comes back)."
    )
    async def kept_back(self, info: Info) -> int | None:
        kinds = await _hold_kinds(info, self)
        return kinds.kept_back if kinds else None


async def _hold_kinds(info: Info, slot: Slot) -> HoldKinds | None:
    if not sees_seats(info.context.viewer, slot.office_pk):
        return None
    return await info.context.loaders.hold_kinds_by_slot.load(slot.pk)


@strawberry.type
class AvailabilityDay:
    date: date
    remaining: int
    slots: list[Slot] = strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_SLOTS_PER_DAY)])
    office_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: AvailabilityDayRecord) -> AvailabilityDay:
        return cls(
            date=record.date,
            remaining=record.remaining,
            slots=[Slot.from_record(s, record.with_reserved) for s in record.slots],
            office_pk=record.office_id,
        )

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)


@strawberry.type
class Agenda:
    id: strawberry.ID
    weekdays: list[int] = strawberry.field(description="ISO weekdays, 1 = Monday.", extensions=[ListBound(7)])
    start_time: str = strawberry.field(description="Local times HH:MM in the office's time zone.")
    end_time: str
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date | None
    reserved_seats: int = strawberry.field(
        description="Seats of each slot only PHONE and DESK bookings may take, until reservedUntilHours before it."
    )
    reserved_until_hours: int
    office_pk: strawberry.Private[int]
    service_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: AgendaRecord) -> Agenda:
        return cls(
            id=strawberry.ID(str(record.id)),
            weekdays=list(record.weekdays),
            start_time=record.start_time.strftime("%H:%M"),
            end_time=record.end_time.strftime("%H:%M"),
            slot_minutes=record.slot_minutes,
            capacity=record.capacity,
            valid_from=record.valid_from,
            valid_to=record.valid_to,
            reserved_seats=record.reserved_seats,
            reserved_until_hours=record.reserved_until_hours,
            office_pk=record.office_id,
            service_pk=record.service_id,
        )

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)


@strawberry.type
class Closure:
    id: strawberry.ID
    date: date
    reason: str | None
    slots_closed: int = strawberry.field(description="Slots already released for that day that this closure closed.")
    bookings_cancelled: int = strawberry.field(
        description="Bookings on those slots that this closure cancelled (each citizen is told)."
    )
    office_pk: strawberry.Private[int | None]

    @classmethod
    def from_record(cls, record: ClosureRecord) -> Closure:
        return cls(
            id=strawberry.ID(str(record.id)),
            date=record.date,
            reason=record.reason,
            slots_closed=record.slots_closed,
            bookings_cancelled=record.bookings_cancelled,
            office_pk=record.office_id,
        )

    @strawberry.field
    async def office(self, info: Info) -> Office | None:
        return None if self.office_pk is None else await load_office(info, self.office_pk)


@strawberry.type
class ReleaseReport:
    created: int
    unchanged: int

    @classmethod
    def from_record(cls, record: ReleaseReportRecord) -> ReleaseReport:
        return cls(created=record.created, unchanged=record.unchanged)
