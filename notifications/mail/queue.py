"""The "head in now" mail of a remote ticket (joined from home): the line is near its number, come in and type the
code at the kiosk. The outbox row names the ticket in its payload (`ticket_id`); the mail says what the ticket is
when it is composed, and nothing once its holder has come in or the ticket is over."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from core.settings import Settings
from core.validation import control_character
from notifications.mail.message import build_message
from notifications.mail.render import language, render
from notifications.outbox import OutboxRow

KIND = "queue.head_in"


def ticket_id_of(row: OutboxRow) -> int | None:
    found = row.payload.get("ticket_id")
    return found if isinstance(found, int) else None


def compose_head_in(settings: Settings, ticket: Mapping[Any, Any] | None, ticket_url: str) -> EmailMessage | None:
    """ticket: the remote ticket as it is now (resolvers/outbox/mail.py reads it), None when it is gone;
    ticket_url: its live page."""
    if ticket is None or not ticket["citizen_email"] or control_character(ticket["citizen_email"]):
        return None
    if ticket["status"] != "WAITING" or not ticket["remote"]:
        return None  # already inside, called or gone: telling them to come would only mislead
    lang = language(ticket["citizen_locale"])
    values = {
        "name": ticket["citizen_name"] or "",
        "number": ticket["number"],
        "code": ticket["remote_code"],
        "service_name": ticket["service_name"],
        "office_name": ticket["office_name"],
        "office_address": ticket["office_address"],
        "ticket_url": ticket_url,
    }
    return build_message(
        settings,
        to_name=ticket["citizen_name"] or "",
        to_address=ticket["citizen_email"],
        lang=lang,
        rendered=render("head_in", lang, values),
    )
