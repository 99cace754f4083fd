"""Composing the outbox's mails in tests, and reading what a received mail says."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from notifications.outbox import OutboxRow
from resolvers.outbox.mail import compose


async def outbox_rows(state: AppState, kind: str) -> list[OutboxRow]:
    """The outbox rows of one kind, oldest first, as the worker's claim would hand them over."""
    async with state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, kind, booking_id, payload, attempts FROM outbox WHERE kind = :kind ORDER BY id"),
            {"kind": kind},
        )
        return [OutboxRow(**row) for row in rows.mappings()]


async def composed(state: AppState, settings: Settings, row: OutboxRow) -> EmailMessage | None:
    async with state.engine.begin() as conn:
        return await compose(conn, settings, row)


async def compose_only(state: AppState, settings: Settings, kind: str) -> EmailMessage:
    """The mail of the one outbox row of this kind."""
    (row,) = await outbox_rows(state, kind)
    message = await composed(state, settings, row)
    assert message is not None, row
    return message


def subject_of(message: EmailMessage) -> str:
    # a long subject may be folded right after "Subject:", which Python's parser leaves as a leading space
    return str(message["Subject"]).strip()


def plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    content: str = part.get_content()
    return content


def link(body: str, base: str) -> str:
    """The one URL in the body that starts with `base`."""
    (found,) = {str(url) for url in re.findall(re.escape(base) + r"[^\s\"<>]*", body)}
    return found


def attachments(message: EmailMessage, content_type: str) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_type() == content_type]


def payload_bytes(part: Any) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data
