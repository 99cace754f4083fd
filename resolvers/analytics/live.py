"""`officeLive`: what a manager watches now at one office: the lines per service, the longest wait,
the desks at work, and the people inside against the premises' maximum occupancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Date, Float, Interval, cast, exists, extract, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Role
from models.booking import Booking
from models.catalogue import Desk, Office
from models.queue import Ticket, TicketStatus
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.lookups import require_office
from resolvers.catalogue.records import OfficeRecord
from resolvers.occupancy import occupancy
from resolvers.rows import records_from_rows
from resolvers.sql import written_in

# a desk that called or served someone this recently is at work, even between two citizens
DESK_ACTIVE_MINUTES = 30


@dataclass(frozen=True, slots=True)
class ServiceLiveRecord:
    service_id: int
    waiting: int
    called: int
    serving: int
    longest_wait_minutes: float | None
    # finished today: a procedure whose line emptied still shows the manager that it worked
    served: int = 0


@dataclass(frozen=True, slots=True)
class OfficeLiveRecord:
    office: OfficeRecord
    at: datetime
    services: tuple[ServiceLiveRecord, ...]
    desks_open: int
    desks_total: int
    # the building's occupancy (resolvers/occupancy.py): parties count whole, those waiting outside do not
    inside: int

    @property
    def waiting(self) -> int:
        return sum(s.waiting for s in self.services)

    @property
    def people_inside(self) -> int:
        """The people in the building now, as the remote queue and the board count them."""
        return self.inside

    @property
    def longest_wait_minutes(self) -> float | None:
        waits = [s.longest_wait_minutes for s in self.services if s.longest_wait_minutes is not None]
        return max(waits) if waits else None

    @property
    def occupancy_rate(self) -> float | None:
        maximum = self.office.max_occupancy
        return self.people_inside / maximum if maximum else None


def _today() -> ColumnElement[bool]:
    """The office's tickets of its own current day (the unique index on office, day, number finds them)."""
    return Ticket.day == cast(func.timezone(Office.timezone, func.now()), Date)


def _counted(status: TicketStatus) -> ColumnElement[int]:
    return func.count().filter(Ticket.status == status)


# The wait so far counts as in stats: from arrival, or from the appointment's start if they came early.
_WAITED = func.greatest(
    func.now() - func.greatest(Ticket.issued_at, func.coalesce(Booking.starts_at, Ticket.issued_at)),
    literal(timedelta(0), Interval),
)
_WAITING = _counted(TicketStatus.WAITING).label("waiting")
_SERVICES = (
    select(
        Ticket.service_id,
        _WAITING,
        _counted(TicketStatus.CALLED).label("called"),
        _counted(TicketStatus.SERVING).label("serving"),
        cast(extract("epoch", func.max(_WAITED).filter(Ticket.status == TicketStatus.WAITING)) / 60, Float).label(
            "longest_wait_minutes"
        ),
        _counted(TicketStatus.DONE).label("served"),
    )
    .join_from(Ticket, Office, Office.id == Ticket.office_id)
    .outerjoin(Booking, Booking.id == Ticket.booking_id)
    .where(
        written_in(Ticket.status, TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.DONE),
        _today(),
    )
    .group_by(Ticket.service_id)
    .order_by(_WAITING.desc(), Ticket.service_id)
)

# a desk is at work with a ticket at it now, or one it called or finished in the last DESK_ACTIVE_MINUTES
_AT_WORK = exists().where(
    Ticket.office_id == Desk.office_id,
    _today(),
    Ticket.desk_id == Desk.id,
    or_(
        written_in(Ticket.status, TicketStatus.CALLED, TicketStatus.SERVING),
        func.coalesce(Ticket.finished_at, Ticket.called_at) > func.now() - timedelta(minutes=DESK_ACTIVE_MINUTES),
    ),
)
_DESKS = select(func.count().label("total"), func.count().filter(_AT_WORK).label("open")).join_from(
    Desk, Office, Office.id == Desk.office_id
)


async def office_live(conn: AsyncConnection, viewer: Viewer, office_id: str) -> OfficeLiveRecord:
    office = await require_office(conn, "officeId", office_id)
    viewer.require_role(office.id, Role.MANAGER)
    rows = await conn.execute(_SERVICES.where(Ticket.office_id == office.id))
    services = tuple(records_from_rows(ServiceLiveRecord, rows.mappings()))
    desks = (await conn.execute(_DESKS.where(Desk.office_id == office.id))).mappings().one()
    now = (await conn.execute(select(func.now()))).scalar_one()
    inside = (await occupancy(conn, office.id)).inside
    return OfficeLiveRecord(office, now, services, desks["open"], desks["total"], inside)
