"""The appointment as a calendar file (RFC 5545), for the citizen's own calendar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

# a calendar to add to one's own, not an invitation to answer (RFC 5546 §3.2.1)
CALENDAR_METHOD = "PUBLISH"


@dataclass(frozen=True, slots=True)
class Appointment:
    # stable per booking: a rescheduled appointment's file replaces the first one in calendars that import both
    uid: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    summary: str
    location: str
    description: str
    sequence: int = 0


@lru_cache(maxsize=64)
def _timezone(tzid: str) -> Timezone:
    """The zone's VTIMEZONE, built once per zone: icalendar walks decades of transitions to make it
    (tens of milliseconds), and the offices' zones are few."""
    return Timezone.from_tzid(tzid)


def _event(appointment: Appointment) -> Event:
    zone = ZoneInfo(appointment.timezone)
    event = Event()
    event.add("uid", appointment.uid)
    event.add("dtstamp", datetime.now(UTC))
    # in the office's zone, with its VTIMEZONE below: the time stays right when the citizen travels
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("sequence", appointment.sequence)
    event.add("summary", appointment.summary)
    event.add("location", appointment.location)
    event.add("description", appointment.description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


# the Content-Type parameters of every calendar file Turnero sends, mailed or over HTTP: the files are UTF-8 and
# say METHOD:PUBLISH, and RFC 5545 §8.1 / RFC 6047 §2.4 want both repeated in the MIME type (a strict client
# reads an undeclared charset as ASCII or Latin-1 and garbles the accents)
CALENDAR_PARAMS = {"charset": "utf-8", "method": CALENDAR_METHOD}
CALENDAR_CONTENT_TYPE = "text/calendar; " + "; ".join(f"{key}={value}" for key, value in CALENDAR_PARAMS.items())


def calendar_of(appointments: Sequence[Appointment]) -> bytes:
    """One calendar file with every appointment (a desk's day sheet), each zone's VTIMEZONE once."""
    calendar = Calendar()
    calendar.add("prodid", "-//Turnero//Turnos//ES")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", CALENDAR_METHOD)
    for appointment in appointments:
        calendar.add_component(_event(appointment))
    for tzid in sorted({appointment.timezone for appointment in appointments}):
        calendar.add_component(_timezone(tzid))
    ics: bytes = calendar.to_ical()
    return ics


def calendar_file(appointment: Appointment) -> bytes:
    return calendar_of([appointment])
