"""Mails about a waitlist entry: a seat offered to it, and an offer that ran out. The outbox row names the entry
in its payload (`waitlist_entry_id`); like booking mails, the mail says what the entry is when it is composed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.manage_tokens import manage_token
from core.settings import Settings
from core.validation import control_character
from notifications.mail.message import build_message
from notifications.mail.render import language, local_date_and_time, render
from notifications.outbox import OutboxRow

TEMPLATE_BY_KIND = {"waitlist.offer": "offer", "waitlist.offer_expired": "offer_expired"}

_ENTRY = text("""
    SELECT w.id, w.status::text AS status, w.citizen_name, w.citizen_email, w.citizen_locale, w.manage_nonce,
           w.offer_expires_at, sl.starts_at, o.name AS office_name, o.address AS office_address, o.timezone,
           s.name AS service_name
    FROM waitlist_entries w
    JOIN services s ON s.id = w.service_id
    LEFT JOIN slots sl ON sl.id = w.offer_slot_id
    LEFT JOIN offices o ON o.id = sl.office_id
    WHERE w.id = :id
""")


def waitlist_url(settings: Settings, entry_id: int, nonce: bytes) -> str:
    """Opens the entry's page, which changes nothing until the citizen accepts there."""
    token = manage_token(settings.secret_key, nonce)
    return f"{settings.public_url.rstrip('/')}/waitlist#id={entry_id}&token={token}"


async def compose_waitlist(conn: AsyncConnection, settings: Settings, row: OutboxRow) -> EmailMessage | None:
    template = TEMPLATE_BY_KIND[row.kind]
    entry_id = row.payload.get("waitlist_entry_id")
    if not isinstance(entry_id, int):
        return None
    entry = (await conn.execute(_ENTRY, {"id": entry_id})).mappings().first()
    if entry is None or not entry["citizen_email"] or control_character(entry["citizen_email"]):
        return None
    if entry["starts_at"] is None:
        return None  # left since: the offer's slot is forgotten
    if template == "offer" and (entry["status"] != "OFFERED" or entry["offer_expires_at"] <= datetime.now(UTC)):
        return None  # accepted, declined or run out before the mail could go: it would only mislead
    lang = language(entry["citizen_locale"])
    date, time = local_date_and_time(entry["starts_at"], entry["timezone"], lang)
    until_date, until_time = local_date_and_time(entry["offer_expires_at"], entry["timezone"], lang)
    values: dict[str, Any] = {
        "name": entry["citizen_name"],
        "service_name": entry["service_name"],
        "office_name": entry["office_name"],
        "office_address": entry["office_address"],
        "date": date,
        "time": time,
        "until_date": until_date,
        "until_time": until_time,
        "waitlist_url": waitlist_url(settings, entry_id, bytes(entry["manage_nonce"])),
        "book_url": f"{settings.public_url.rstrip('/')}/",
    }
    return build_message(
        settings,
        to_name=entry["citizen_name"],
        to_address=entry["citizen_email"],
        lang=lang,
        rendered=render(template, lang, values),
    )
