"""What an admin sees of the outbox: what is stuck or failed and why, and a way to send it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, InvalidStateError, NotFoundError
from core.validation import parse_id
from resolvers.accounts.viewer import Viewer

STATUSES = ("PENDING", "SENT", "FAILED")
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class OutboxMessageRecord:
    id: int
    kind: str
    booking_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> OutboxMessageRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


_COLUMNS = "id, kind, booking_id, status, attempts, next_attempt_at, last_error, created_at, sent_at"


async def messages(conn: AsyncConnection, viewer: Viewer, status: str, limit: int) -> list[OutboxMessageRecord]:
    viewer.require_admin()
    if status not in STATUSES:
        raise BadRequest("status", f"status must be one of {', '.join(STATUSES)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    rows = await conn.execute(
        text(f"SELECT {_COLUMNS} FROM outbox WHERE status = :s ORDER BY created_at DESC, id DESC LIMIT :n"),
        {"s": status, "n": limit},
    )
    return [OutboxMessageRecord.from_row(row) for row in rows.mappings()]


async def retry(conn: AsyncConnection, viewer: Viewer, message_id: str) -> OutboxMessageRecord:
    """A FAILED message goes back in the queue with a fresh count of attempts (after the cause is fixed)."""
    viewer.require_admin()
    number = parse_id(message_id)
    current = (
        (await conn.execute(text("SELECT status FROM outbox WHERE id = :id FOR UPDATE"), {"id": number})).scalar()
        if number
        else None
    )
    if current is None:
        raise NotFoundError("No outbox message has this ID.")
    if current != "FAILED":
        raise InvalidStateError(f"Only a FAILED message can be retried; this one is {current}.")
    row = (
        (
            await conn.execute(
                text(f"""UPDATE outbox SET status = 'PENDING', attempts = 0, next_attempt_at = now()
                     WHERE id = :id RETURNING {_COLUMNS}"""),
                {"id": number},
            )
        )
        .mappings()
        .one()
    )
    return OutboxMessageRecord.from_row(row)
