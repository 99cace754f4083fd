"""Mails about a waitlist entry: a seat offered to it, and an offer that ran out. The outbox row names the entry
in its payload (`waitlist_entry_id`); like booking mails, the mail says what the entry is when it is composed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from core.manage_tokens import manage_token
from core.settings import Settings
from core.validation import control_character
from notifications.mail.message import build_message
from notifications.mail.render import language, local_date_and_time, render
from notifications.outbox import OutboxRow

TEMPLATE_BY_KIND = {"waitlist.offer": "offer", "waitlist.offer_expired": "offer_expired"}


def waitlist_url(settings: Settings, entry_id: int, nonce: bytes) -> str:
    """Opens the entry's page, which changes nothing until the citizen accepts there."""
    token = manage_token(settings.secret_key, nonce)
    return f"{settings.public_url.rstrip('/')}/waitlist#id={entry_id}&token={token}"


def waitlist_entry_id(row: OutboxRow) -> int | None:
    entry_id = row.payload.get("waitlist_entry_id")
    return entry_id if isinstance(entry_id, int) else None


def compose_waitlist(
    settings: Settings, row: OutboxRow, entry_id: int, entry: Mapping[Any, Any] | None
) -> EmailMessage | None:
    """entry: the entry as it is now (resolvers/outbox/mail.py reads it), None when it is gone."""
    template = TEMPLATE_BY_KIND[row.kind]
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
