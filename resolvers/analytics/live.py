"""`officeLive`: what a manager watches now at one office: the lines per service, the longest wait,
the desks at work, and the people inside against the premises' maximum occupancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.lookups import require_office
from resolvers.catalogue.records import OfficeRecord

# a desk that called or served someone this recently is at work, even between two citizens
DESK_ACTIVE_MINUTES = 30


@dataclass(frozen=True, slots=True)
class ServiceLiveRecord:
    service_id: int
    waiting: int
    called: int
    serving: int
    longest_wait_minutes: float | None


@dataclass(frozen=True, slots=True)
class OfficeLiveRecord:
    office: OfficeRecord
    at: datetime
    services: tuple[ServiceLiveRecord, ...]
    desks_open: int
    desks_total: int

    @property
    def waiting(self) -> int:
        return sum(s.waiting for s in self.services)

    @property
    def people_inside(self) -> int:
        """Everyone holding a ticket of today that is not finished: waiting, being called or served."""
        return sum(s.waiting + s.called + s.serving for s in self.services)

    @property
    def longest_wait_minutes(self) -> float | None:
        waits = [s.longest_wait_minutes for s in self.services if s.longest_wait_minutes is not None]
        return max(waits) if waits else None

    @property
    def occupancy_rate(self) -> float | None:
        maximum = self.office.max_occupancy
        return self.people_inside / maximum if maximum else None


# The wait so far counts as in stats: from arrival, or from the appointment's start if they came early.
_SERVICES = text("""
    SELECT t.service_id,
           count(*) FILTER (WHERE t.status = 'WAITING') AS waiting,
           count(*) FILTER (WHERE t.status = 'CALLED') AS called,
           count(*) FILTER (WHERE t.status = 'SERVING') AS serving,
           CAST(extract(epoch FROM max(greatest(now() - greatest(t.issued_at, coalesce(b.starts_at, t.issued_at)),
                                                interval '0'))
                                   FILTER (WHERE t.status = 'WAITING')) / 60 AS float8) AS longest_wait_minutes
    FROM tickets t
    JOIN offices o ON o.id = t.office_id
    LEFT JOIN bookings b ON b.id = t.booking_id
    WHERE t.office_id = :office AND t.status IN ('WAITING', 'CALLED', 'SERVING')
      AND t.day = CAST(now() AT TIME ZONE o.timezone AS date)
    GROUP BY t.service_id
    ORDER BY waiting DESC, t.service_id
""")

# today's tickets of the office (the unique index on office, day, number finds them)
_DESKS = text(f"""
    SELECT count(*) AS total,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM tickets t
               WHERE t.office_id = d.office_id AND t.day = CAST(now() AT TIME ZONE o.timezone AS date)
                 AND t.desk_id = d.id
                 AND (t.status IN ('CALLED', 'SERVING')
                      OR coalesce(t.finished_at, t.called_at) > now() - interval '{DESK_ACTIVE_MINUTES} minutes')))
           AS open
    FROM desks d JOIN offices o ON o.id = d.office_id
    WHERE d.office_id = :office
""")


async def office_live(conn: AsyncConnection, viewer: Viewer, office_id: str) -> OfficeLiveRecord:
    office = await require_office(conn, "officeId", office_id)
    viewer.require_role(office.id, Role.MANAGER)
    services = tuple(
        ServiceLiveRecord(
            service_id=row["service_id"],
            waiting=row["waiting"],
            called=row["called"],
            serving=row["serving"],
            longest_wait_minutes=row["longest_wait_minutes"],
        )
        for row in (await conn.execute(_SERVICES, {"office": office.id})).mappings()
    )
    desks = (await conn.execute(_DESKS, {"office": office.id})).mappings().one()
    now = (await conn.execute(text("SELECT now()"))).scalar_one()
    return OfficeLiveRecord(office, now, services, desks["open"], desks["total"])
