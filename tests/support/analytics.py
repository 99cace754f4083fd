"""A small fixed history, written straight into the tables (the past cannot be booked through the API),
with every figure worked out by hand in tests/analytics/test_analytics.py."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.runtime import AppState
from resolvers.analytics.facts import refresh_facts
from server.pages import WEB_DIR
from tests.support.api import Api

CORDOBA = "America/Argentina/Cordoba"  # UTC-3 all year
MADRID = "Europe/Madrid"  # summer time from 2026-03-29 02:00 local


def page_documents() -> dict[str, str]:
    """The GraphQL documents the analytics page sends, by name (web/analytics/queries.js)."""
    source = (WEB_DIR / "analytics" / "queries.js").read_text()
    return dict(re.findall(r"export const (\w+) = `([^`]*)`;", source))


_serial = itertools.count(1)


def local(zone: str, value: str) -> datetime:
    """'2026-03-10 09:00' on the office's wall clock, as an aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))


def _digest(label: str, size: int) -> bytes:
    return hashlib.sha256(f"{label}:{next(_serial)}".encode()).digest()[:size]


@dataclass
class History:
    conn: AsyncConnection
    office_id: int
    service_id: int
    zone: str
    seq: int = 0

    async def booking(self, starts: str, made: str, status: str) -> int:
        start = local(self.zone, starts)
        slot = await self._scalar(
            """INSERT INTO slots (office_id, service_id, starts_at, ends_at, capacity, booked)
               VALUES (:o, :s, :start, CAST(:start AS timestamptz) + interval '15 minutes', 1, 1)
               ON CONFLICT (office_id, service_id, starts_at) DO UPDATE SET capacity = slots.capacity + 1,
                   booked = slots.booked + 1
               RETURNING id""",
            start=start,
        )
        return await self._scalar(
            """INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel,
                                     citizen_name, document_hash, document_hint, manage_nonce, manage_token_hash,
                                     created_at)
               VALUES ('ABCDEFGH', CAST(:status AS booking_status), :slot, :o, :s, :start,
                       CAST(:start AS timestamptz) + interval '15 minutes', 'WEB', 'Citizen', :doc, '1234', :nonce,
                       :token, :made)
               RETURNING id""",
            status=status,
            slot=slot,
            start=start,
            made=local(self.zone, made),
            doc=_digest("doc", 32),
            nonce=_digest("nonce", 16),
            token=_digest("token", 32),
        )

    async def ticket(
        self,
        issued: str,
        status: str,
        *,
        booking: int | None = None,
        called: str | None = None,
        first_called: str | None = None,
        started: str | None = None,
        finished: str | None = None,
        estimate: int | None = None,
        previous: int | None = None,
        rating: int | None = None,
    ) -> int:
        """`called` is the last call (a recall moves it); `first_called` goes into the queue log."""
        at = {
            name: local(self.zone, value) if value else None
            for name, value in (("issued", issued), ("called", called), ("started", started), ("finished", finished))
        }
        number = next(_serial)
        assert at["issued"] is not None
        ticket = await self._scalar(
            """INSERT INTO tickets (office_id, service_id, booking_id, number, day, day_number, priority, status,
                                    due_at, issued_at, called_at, started_at, finished_at, estimated_wait_minutes,
                                    previous_ticket_id)
               VALUES (:o, :s, :booking, :number, :day, :day_number, 'STANDARD', CAST(:status AS ticket_status),
                       :issued, :issued, :called, :started, :finished, :estimate, :previous)
               RETURNING id""",
            booking=booking,
            number=f"A-{number:03d}",
            day=at["issued"].date(),
            day_number=number,
            status=status,
            issued=at["issued"],
            called=at["called"],
            started=at["started"],
            finished=at["finished"],
            estimate=estimate,
            previous=previous,
        )
        calls = [("CALLED", first_called or called)] + ([("RECALLED", called)] if first_called else [])
        for kind, moment in calls:
            if moment is None:
                continue
            self.seq += 1
            await self.conn.execute(
                text("""INSERT INTO queue_events (office_id, seq, type, ticket_id, at)
                        VALUES (:o, :seq, CAST(:type AS queue_event_type), :t, :at)"""),
                {"o": self.office_id, "seq": self.seq, "type": kind, "t": ticket, "at": local(self.zone, moment)},
            )
        if rating is not None:
            await self.conn.execute(
                text("""INSERT INTO feedback (ticket_id, office_id, service_id, token_nonce, token_hash, rating,
                                              submitted_at)
                        VALUES (:t, :o, :s, :nonce, :hash, :rating, :at)"""),
                {
                    "t": ticket,
                    "o": self.office_id,
                    "s": self.service_id,
                    "nonce": _digest("fb", 16),
                    "hash": _digest("fbh", 32),
                    "rating": rating,
                    "at": at["finished"],
                },
            )
        return ticket

    async def _scalar(self, sql: str, **values: Any) -> int:
        result: int = (
            await self.conn.execute(text(sql), {"o": self.office_id, "s": self.service_id, **values})
        ).scalar_one()
        return result


@dataclass(frozen=True)
class FixedCity:
    cordoba: str  # office ids and service ids, as the API shows them
    madrid: str
    dni: str
    licence: str


async def fixed_city(api: Api, state: AppState, admin: str) -> FixedCity:
    """Córdoba (UTC-3) serves `dni` the week of 2026-03-09; Madrid serves `licence` across its change
    to summer time (2026-03-29). Then the facts are refreshed, as the worker's job does."""
    city = FixedCity(
        cordoba=await api.office(admin, slug="cordoba", timezone=CORDOBA),
        madrid=await api.office(admin, slug="madrid", timezone=MADRID),
        dni=await api.service(admin, slug="dni"),
        licence=await api.service(admin, slug="licence"),
    )
    async with state.engine.begin() as conn:
        c = History(conn, int(city.cordoba), int(city.dni), CORDOBA)
        b1 = await c.booking("2026-03-10 09:00", made="2026-03-01 09:00", status="COMPLETED")
        await c.booking("2026-03-10 09:00", made="2026-03-09 09:00", status="NO_SHOW")
        # 23:30 in Córdoba is 02:30 UTC on the 11th: still the 10th for the office
        b3 = await c.booking("2026-03-10 23:30", made="2026-03-07 23:30", status="COMPLETED")
        await c.booking("2026-03-11 10:00", made="2026-03-05 10:00", status="CANCELLED")
        # came early: the wait counts from the appointment (09:00), the estimate's truth from issue (08:50)
        await c.ticket(
            "2026-03-10 08:50",
            "DONE",
            booking=b1,
            called="2026-03-10 09:12",
            started="2026-03-10 09:13",
            finished="2026-03-10 09:23",
            estimate=15,
            rating=5,
        )
        # came late: the wait counts from arrival (23:40)
        await c.ticket(
            "2026-03-10 23:40",
            "DONE",
            booking=b3,
            called="2026-03-10 23:50",
            started="2026-03-10 23:50",
            finished="2026-03-11 00:10",
            estimate=5,
        )
        # recalled at 10:35: the wait ends at the first call, 10:30
        await c.ticket(
            "2026-03-10 10:00",
            "DONE",
            first_called="2026-03-10 10:30",
            called="2026-03-10 10:35",
            started="2026-03-10 10:36",
            finished="2026-03-10 10:44",
            estimate=20,
            rating=4,
        )
        await c.ticket(
            "2026-03-10 10:05",
            "DONE",
            called="2026-03-10 10:25",
            started="2026-03-10 10:25",
            finished="2026-03-10 10:31",
            rating=2,
        )
        await c.ticket("2026-03-10 10:10", "CANCELLED")
        w4 = await c.ticket("2026-03-10 10:20", "TRANSFERRED", called="2026-03-10 10:40")
        # the transfer's continuation: served, waited again, but not a second walk-in
        await c.ticket(
            "2026-03-10 10:45",
            "DONE",
            previous=w4,
            called="2026-03-10 10:50",
            started="2026-03-10 10:50",
            finished="2026-03-10 11:02",
        )
        m = History(conn, int(city.madrid), int(city.licence), MADRID)
        await m.booking("2026-03-28 10:00", made="2026-03-20 10:00", status="COMPLETED")  # 09:00 UTC
        await m.booking("2026-03-29 10:00", made="2026-03-20 10:00", status="NO_SHOW")  # 08:00 UTC
        await refresh_facts(conn, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")) - timedelta(days=1))
    return city
