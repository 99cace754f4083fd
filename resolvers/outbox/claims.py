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
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import outbox
from notifications.outbox import OutboxRow, retry_or_give_up

LEASE = timedelta(minutes=5)


def claim_sql(table: str, returning: str, *, unless: str = "") -> str:
    """The claim for any queue shaped like the outbox (status, attempts, next_attempt_at): the outbox itself,
    and the webhook deliveries. Parameters :limit and :lease. `unless`: an SQL condition on a due row `q` that
    holds it back (a webhook delivery waiting for an earlier one of its subject)."""
    held_back = f"AND NOT ({unless})" if unless else ""
    return f"""
    UPDATE {table} SET attempts = attempts + 1, next_attempt_at = now() + :lease
    WHERE id IN (SELECT q.id FROM {table} q WHERE q.status = 'PENDING' AND q.next_attempt_at <= now() {held_back}
                 ORDER BY q.next_attempt_at, q.id LIMIT :limit FOR UPDATE OF q SKIP LOCKED)
    RETURNING {returning}
"""


# Native SQL: FOR UPDATE SKIP LOCKED in a subquery of the UPDATE, one statement shared with the webhook queue
_CLAIM = text(
    claim_sql("outbox", "id, kind, booking_id, payload, attempts, event_facts, fanned_out_at IS NOT NULL AS fanned_out")
)


def _json(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(json.loads(value))


async def claim(conn: AsyncConnection, limit: int, lease: timedelta = LEASE) -> list[OutboxRow]:
    rows = await conn.execute(_CLAIM, {"limit": limit, "lease": lease})
    claimed = [
        OutboxRow(
            id=row.id,
            kind=row.kind,
            booking_id=row.booking_id,
            payload=_json(row.payload),
            attempts=row.attempts,
            event_facts=_json(row.event_facts) if row.event_facts is not None else None,
            fanned_out=row.fanned_out,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda row: row.id)


async def mark_sent(conn: AsyncConnection, row_id: int) -> None:
    await conn.execute(
        update(outbox).where(outbox.c.id == row_id).values(status="SENT", sent_at=func.now(), last_error=None)
    )


async def mark_failed(
    conn: AsyncConnection, row: OutboxRow, error: str, max_attempts: int, base: timedelta = timedelta(seconds=30)
) -> str:
    """Retry later, or give up: FAILED with its last error, for an admin to see. The status it now has."""
    status, delay = retry_or_give_up(row.attempts, max_attempts, base)
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(status=status, last_error=error[:2000], next_attempt_at=func.now() + delay)
    )
    return status
