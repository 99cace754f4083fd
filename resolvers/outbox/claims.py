"""Claiming and settling outbox rows.

A claim is one statement: it takes due rows with `FOR UPDATE SKIP LOCKED` (several workers never take
the same row), counts the attempt, and moves `next_attempt_at` ahead by a lease. The claim commits
before anything is sent, so no transaction stays open during a send. A worker that dies between
sending and settling leaves the row to come due again when the lease ends: sent again at most once,
never lost.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.outbox import OutboxRow, retry_or_give_up

LEASE = timedelta(minutes=5)


def claim_sql(table: str, returning: str) -> str:
    """The claim for any queue shaped like the outbox (status, attempts, next_attempt_at): the outbox itself,
    and the webhook deliveries. Parameters :limit and :lease."""
    return f"""
    UPDATE {table} SET attempts = attempts + 1, next_attempt_at = now() + :lease
    WHERE id IN (SELECT id FROM {table} WHERE status = 'PENDING' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE SKIP LOCKED)
    RETURNING {returning}
"""


_CLAIM = text(claim_sql("outbox", "id, kind, booking_id, payload, attempts"))


async def claim(conn: AsyncConnection, limit: int, lease: timedelta = LEASE) -> list[OutboxRow]:
    rows = await conn.execute(_CLAIM, {"limit": limit, "lease": lease})
    claimed = [
        OutboxRow(
            id=row.id,
            kind=row.kind,
            booking_id=row.booking_id,
            payload=row.payload if isinstance(row.payload, dict) else json.loads(row.payload),
            attempts=row.attempts,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda row: row.id)


async def mark_sent(conn: AsyncConnection, row_id: int) -> None:
    await conn.execute(
        text("UPDATE outbox SET status = 'SENT', sent_at = now(), last_error = NULL WHERE id = :id"), {"id": row_id}
    )


async def mark_failed(
    conn: AsyncConnection, row: OutboxRow, error: str, max_attempts: int, base: timedelta = timedelta(seconds=30)
) -> str:
    """Retry later, or give up: FAILED with its last error, for an admin to see. The status it now has."""
    status, delay = retry_or_give_up(row.attempts, max_attempts, base)
    await conn.execute(
        text("""UPDATE outbox SET status = :status, last_error = :error, next_attempt_at = now() + :delay
                WHERE id = :id"""),
        {"status": status, "error": error[:2000], "delay": delay, "id": row.id},
    )
    return status
