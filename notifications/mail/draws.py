"""The result of a release draw, mailed to each entry: the seat won (the booking's own confirmation mail, with its
QR code and manage link, follows from the outbox as for any booking), or the place on the waitlist. The outbox row
names the entry in its payload (`draw_entry_id`)."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from core.settings import Settings
from core.validation import control_character
from notifications.mail.message import build_message
from notifications.mail.render import language, local_date_and_time, render
from notifications.mail.waitlist import waitlist_url
from notifications.outbox import OutboxRow

KIND = "draw.result"
TEMPLATE_BY_STATUS = {"WON": "draw_won", "WAITLISTED": "draw_waitlisted"}


def draw_entry_id(row: OutboxRow) -> int | None:
    entry_id = row.payload.get("draw_entry_id")
    return entry_id if isinstance(entry_id, int) else None


def compose_draw_result(settings: Settings, entry: Mapping[Any, Any] | None) -> EmailMessage | None:
    """entry: the draw entry as it is now (resolvers/outbox/mail.py reads it), None when it is gone."""
    if entry is None or not entry["citizen_email"] or control_character(entry["citizen_email"]):
        return None
    template = TEMPLATE_BY_STATUS.get(entry["status"])
    if template is None:
        return None  # INELIGIBLE: the person holds their bookings already; nothing new to say
    lang = language(entry["citizen_locale"])
    values: dict[str, Any] = {
        "name": entry["citizen_name"],
        "service_name": entry["service_name"],
        "book_url": f"{settings.public_url.rstrip('/')}/",
    }
    if entry["status"] == "WON":
        date, time = local_date_and_time(entry["starts_at"], entry["timezone"], lang)
        values |= {
            "code": entry["code"],
            "pending": entry["booking_status"] == "PENDING",
            "office_name": entry["office_name"],
            "office_address": entry["office_address"],
            "date": date,
            "time": time,
        }
    else:
        values["waitlist_url"] = waitlist_url(settings, int(entry["waitlist_entry_id"]), bytes(entry["manage_nonce"]))
    return build_message(
        settings,
        to_name=entry["citizen_name"],
        to_address=entry["citizen_email"],
        lang=lang,
        rendered=render(template, lang, values),
    )
