"""Clearing the personal columns of given rows: what the retention run and eraseCitizen both do.

A row is kept (analytics counts it: status, times, office, service, rating) and only what says who the person
was goes: name, e-mail, phone, notes, the document's hint and every keyed hash limits and lookups match by.
Columns that may not be NULL get a placeholder: the name a fixed word, the document hash a digest of the row's
own id (unique per row, as the draws' partial unique index wants, and derived from nothing about the person).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, String, Table, cast, func, literal, null, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from models.base import table_of
from models.booking import booking_companions, booking_events, bookings, outbox
from models.draws import draw_entries
from models.notifications import Feedback
from models.queue import RemoteTicket, Ticket
from models.waitlist import waitlist_entries
from resolvers.sql import any_id

ANONYMOUS_NAME = "(anonymised)"

tickets = table_of(Ticket)
remote_tickets = table_of(RemoteTicket)
feedback = table_of(Feedback)


def _placeholder_hash(table: Table) -> ColumnElement[Any]:
    word = literal(f"anonymised:{table.name}:", String)
    return cast(func.sha256(func.convert_to(word + cast(table.c.id, String), "UTF8")), LargeBinary)


def _citizen_columns(table: Table) -> dict[str, Any]:
    """A booking's, waitlist entry's or draw entry's person, cleared."""
    return {
        "citizen_name": ANONYMOUS_NAME,
        "citizen_email": null(),
        "citizen_phone": null(),
        "document_hash": _placeholder_hash(table),
        "document_hint": "",
        "email_hash": null(),
        "phone_hash": null(),
        "anonymised_at": func.now(),
    }


def _companion_columns() -> dict[str, Any]:
    return {
        "name": ANONYMOUS_NAME,
        "document_hash": _placeholder_hash(booking_companions),
        "document_hint": "",
        "email_hash": null(),
        "phone_hash": null(),
    }


async def _run(
    conn: AsyncConnection, table: Table, values: dict[str, Any], ids: Sequence[int], column: str = "id"
) -> int:
    if not ids:
        return 0
    statement = update(table).where(table.c[column] == any_id(ids)).values(values)
    return (await conn.execute(statement)).rowcount


async def bookings_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    """The bookings, their companions, the notes of their history (a cancellation's reason is free text) and
    the reasons their outbox rows carry."""
    count = await _run(conn, bookings, _citizen_columns(bookings) | {"notes": null(), "name_hash": null()}, ids)
    await _run(conn, booking_companions, _companion_columns(), ids, "booking_id")
    await _run(conn, booking_events, {"note": null()}, ids, "booking_id")
    await _run(
        conn,
        outbox,
        {"payload": outbox.c.payload.op("-", return_type=JSONB)(literal("reason", String))},
        ids,
        "booking_id",
    )
    return count


async def companions_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    """Companion rows by their own ids: a person erased who came along on someone else's booking."""
    return await _run(conn, booking_companions, _companion_columns(), ids)


async def tickets_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    """A ticket's note, and the contact of one that waited outside (remote_tickets)."""
    count = await _run(conn, tickets, {"note": null(), "anonymised_at": func.now()}, ids)
    contact = {
        "citizen_name": null(),
        "citizen_email": null(),
        "citizen_phone": null(),
        "email_hash": null(),
        "phone_hash": null(),
    }
    await _run(conn, remote_tickets, contact, ids, "ticket_id")
    return count


async def feedback_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    """The comment goes; the rating stays (the analytics' satisfaction figures)."""
    return await _run(conn, feedback, {"comment": null(), "anonymised_at": func.now()}, ids)


async def waitlist_entries_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    return await _run(conn, waitlist_entries, _citizen_columns(waitlist_entries), ids)


async def draw_entries_of(conn: AsyncConnection, ids: Sequence[int]) -> int:
    values = _citizen_columns(draw_entries) | {"address_hash": null()}
    return await _run(conn, draw_entries, values, ids)
