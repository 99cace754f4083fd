"""From an outbox row and what it is about to the citizen's e-mail, or None when the row tells the citizen
nothing by mail. resolvers/outbox/mail.py reads what a mail says and hands it over here.

A mail describes the booking as it is when the mail is composed, not as it was when the row was written:
a retried row never sends stale times. Mails about an appointment still to come (confirmation, change,
reminder) are dropped once it is no longer booked or has begun: a reminder of a cancelled booking would
mislead. Links only open pages (mail scanners follow links): tokens travel in the URL fragment, which
browsers never send to a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from core.manage_tokens import manage_token
from core.settings import Settings
from core.validation import control_character
from models.booking import BookingStatus
from notifications.mail.facts import BookingFacts
from notifications.mail.ics import Appointment, calendar_file
from notifications.mail.message import (
    CalendarAttachment,
    InlineImage,
    build_message,
    new_content_id,
    sender_domain,
)
from notifications.mail.qr import qr_png
from notifications.mail.render import language, local_date_and_time, render, render_text
from notifications.outbox import OutboxRow

# outbox kinds that become a mail, and the template each uses; other kinds (ticket.called, booking.no_show)
# are for partners' webhooks only; the waitlist's kinds name an entry, not a booking (notifications/mail/waitlist.py)
TEMPLATE_BY_KIND = {
    "booking.confirmation": "confirmation",
    # a PENDING booking: the link to confirm it, by its deadline
    "booking.confirmation_request": "confirmation_request",
    "booking.change": "change",
    "booking.reminder": "reminder",
    "booking.cancellation": "cancellation",
    "ticket.completed": "feedback",
}
# about an appointment still to come: with the QR code to check in and the manage link
_UPCOMING = frozenset({"confirmation", "change", "reminder"})
# the appointment's time is new to the citizen's calendar
_WITH_CALENDAR = frozenset({"confirmation", "change"})


@dataclass(frozen=True, slots=True)
class BookingMail:
    """Which mail an outbox row about a booking asks for; ticket_id for the feedback mail of a visit."""

    template: str
    booking_id: int
    ticket_id: int | None


def booking_mail(row: OutboxRow) -> BookingMail | None:
    template = TEMPLATE_BY_KIND.get(row.kind)
    if template is None or row.booking_id is None:
        return None
    ticket_id = _ticket_id(row) if template == "feedback" else None
    if template == "feedback" and ticket_id is None:
        return None
    return BookingMail(template, row.booking_id, ticket_id)


def still_worth_sending(mail: BookingMail, facts: BookingFacts) -> bool:
    """Whether the booking, as it is now, still warrants the mail."""
    if not facts.citizen_email or control_character(facts.citizen_email):
        return False  # no address to write to (a broken one is no better: it would fail every retry)
    if mail.template in _UPCOMING and not _upcoming(facts):
        return False
    # confirmed, cancelled or lapsed before the mail left: a stale link helps nobody
    return mail.template != "confirmation_request" or _awaiting_confirmation(facts)


def compose_booking(
    settings: Settings, mail: BookingMail, row: OutboxRow, facts: BookingFacts, feedback_token: str | None
) -> EmailMessage:
    """A mail still worth sending; feedback_token for the feedback mail, the visit's link."""
    template = mail.template
    assert facts.citizen_email is not None, "still_worth_sending checked the address"
    lang = language(facts.citizen_locale)
    values = _values(settings, facts, lang) | _from_payload(row.payload, facts.timezone, lang)
    image = None
    if template in _UPCOMING:
        image = InlineImage(new_content_id(settings), qr_png(facts.code))
        values |= {"qr_cid": image.content_id, "manage_url": manage_url(settings, facts)}
    if feedback_token is not None:
        values["feedback_url"] = f"{_base_url(settings)}/feedback#token={feedback_token}"
    if template == "confirmation_request":
        assert facts.confirm_by is not None
        confirm_date, confirm_time = local_date_and_time(facts.confirm_by, facts.timezone, lang)
        # the page opened from this link confirms the booking: no QR code, no manage link until it is
        values |= {
            "confirm_url": manage_url(settings, facts),
            "confirm_date": confirm_date,
            "confirm_time": confirm_time,
        }
    calendar = None
    if template in _WITH_CALENDAR:
        calendar = CalendarAttachment(f"{facts.code}.ics", calendar_file(_appointment(settings, facts, lang, values)))
    return build_message(
        settings,
        to_name=facts.citizen_name,
        to_address=facts.citizen_email,
        lang=lang,
        rendered=render(template, lang, values),
        image=image,
        calendar=calendar,
    )


def booking_calendar(settings: Settings, facts: BookingFacts, lang: str) -> bytes:
    """The calendar file the confirmation mail carries, for the booking pages' "add to calendar": the same
    UID and sequence, so a calendar that imports both keeps one appointment."""
    return calendar_file(_appointment(settings, facts, lang, _values(settings, facts, lang)))


def manage_url(settings: Settings, facts: BookingFacts) -> str:
    """Opens the booking's page; the page itself changes nothing until the citizen acts on it."""
    return f"{_base_url(settings)}/booking/{facts.code}#token={manage_token(settings.secret_key, facts.manage_nonce)}"


def _base_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def _ticket_id(row: OutboxRow) -> int | None:
    value = row.payload.get("ticket_id")
    return value if isinstance(value, int) else None


def _upcoming(facts: BookingFacts) -> bool:
    return facts.status is BookingStatus.BOOKED and facts.starts_at > datetime.now(UTC)


def _awaiting_confirmation(facts: BookingFacts) -> bool:
    return (
        facts.status is BookingStatus.PENDING and facts.confirm_by is not None and facts.confirm_by > datetime.now(UTC)
    )


def _values(settings: Settings, facts: BookingFacts, lang: str) -> dict[str, Any]:
    date, time = local_date_and_time(facts.starts_at, facts.timezone, lang)
    return {
        "name": facts.citizen_name,
        "code": facts.code,
        "date": date,
        "time": time,
        "office_name": facts.office_name,
        "office_address": facts.office_address,
        "service_name": facts.service_name,
        "party_size": facts.party_size,
        "documents": facts.required_documents,
        "book_url": f"{_base_url(settings)}/",
        "qr_cid": None,
        "manage_url": None,
        "feedback_url": None,
    }


def _from_payload(payload: dict[str, Any], timezone: str, lang: str) -> dict[str, Any]:
    """What the change wrote down: a reschedule's previous time, a cancellation's reason and cause."""
    previous_date = previous_time = None
    if isinstance(previous := payload.get("previous_starts_at"), str):
        previous_date, previous_time = local_date_and_time(datetime.fromisoformat(previous), timezone, lang)
    reason = payload.get("reason")
    return {
        "previous_date": previous_date,
        "previous_time": previous_time,
        "reason": reason if isinstance(reason, str) and reason.strip() else None,
        "closure": bool(payload.get("closure")),
    }


def _appointment(settings: Settings, facts: BookingFacts, lang: str, values: dict[str, Any]) -> Appointment:
    host = urlsplit(settings.public_url).hostname or sender_domain(settings)
    return Appointment(
        uid=f"booking-{facts.id}@{host}",
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        timezone=facts.timezone,
        summary=facts.service_name,
        location=", ".join(part for part in (facts.office_name, facts.office_address) if part),
        description=render_text("calendar", lang, values).strip(),
        sequence=facts.revision,
    )
