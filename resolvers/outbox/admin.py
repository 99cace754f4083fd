"""What an admin sees of the outbox: what is stuck or failed and why, and a way to send it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import BadRequest, InvalidStateError, NotFoundError
from core.messages import msg
from core.validation import parse_id
from models.booking import outbox
from resolvers.accounts.viewer import Viewer
from resolvers.rows import record_columns, record_from_row, records_from_rows

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


_MESSAGE = record_columns(OutboxMessageRecord, outbox)


async def messages(conn: AsyncConnection, viewer: Viewer, status: str, limit: int) -> list[OutboxMessageRecord]:
    viewer.require_admin()
    if status not in STATUSES:
        raise BadRequest("status", f"status must be one of {', '.join(STATUSES)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    rows = await conn.execute(
        select(*_MESSAGE)
        .where(outbox.c.status == status)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(limit)
    )
    return records_from_rows(OutboxMessageRecord, rows.mappings())


async def retry(conn: AsyncConnection, viewer: Viewer, message_id: str) -> OutboxMessageRecord:
    """A FAILED message goes back in the queue with a fresh count of attempts (after the cause is fixed)."""
    viewer.require_admin()
    number = parse_id(message_id)
    current = (
        (await conn.execute(select(outbox.c.status).where(outbox.c.id == number).with_for_update())).scalar()
        if number
        else None
    )
    if current is None:
        raise NotFoundError("No outbox message has this ID.")
    if current != "FAILED":
        raise InvalidStateError(msg("Only a FAILED message can be retried; this one is {status}.", status=current))
    requeued = (
        update(outbox)
        .where(outbox.c.id == number)
        .values(status="PENDING", attempts=0, next_attempt_at=func.now())
        .returning(*_MESSAGE)
    )
    return record_from_row(OutboxMessageRecord, (await conn.execute(requeued)).mappings().one())
