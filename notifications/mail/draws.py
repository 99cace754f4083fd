"""The result of a release draw, mailed to each entry: the seat won (the booking's own confirmation mail, with its
QR code and manage link, follows from the outbox as for any booking), or the place on the waitlist. The outbox row
names the entry in its payload (`draw_entry_id`)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from core.validation import control_character
from notifications.mail.message import build_message
from notifications.mail.render import language, local_date_and_time, render
from notifications.mail.waitlist import waitlist_url
from notifications.outbox import OutboxRow

KIND = "draw.result"
TEMPLATE_BY_STATUS = {"WON": "draw_won", "WAITLISTED": "draw_waitlisted"}

_ENTRY = text("""
    SELECT e.status::text AS status, e.citizen_name, e.citizen_email, e.citizen_locale, e.manage_nonce,
           e.waitlist_entry_id, b.code, b.status::text AS booking_status,
           sl.starts_at, o.name AS office_name, o.address AS office_address,
           o.timezone, s.name AS service_name
    FROM draw_entries e
    JOIN draws d ON d.id = e.draw_id
    JOIN services s ON s.id = d.service_id
    LEFT JOIN bookings b ON b.id = e.booking_id
    LEFT JOIN slots sl ON sl.id = e.slot_id
    LEFT JOIN offices o ON o.id = sl.office_id
    WHERE e.id = :id
""")


async def compose_draw_result(conn: AsyncConnection, settings: Settings, row: OutboxRow) -> EmailMessage | None:
    entry_id = row.payload.get("draw_entry_id")
    if not isinstance(entry_id, int):
        return None
    entry = (await conn.execute(_ENTRY, {"id": entry_id})).mappings().first()
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
