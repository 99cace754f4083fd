"""How long rows no longer needed are kept, across the domains: pruned by the nightly job."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_PRUNE = {
    # kept for at least a day, as promised to clients retrying a request
    "idempotency_keys": "DELETE FROM idempotency_keys WHERE created_at < now() - interval '2 days'",
    "outbox": "DELETE FROM outbox WHERE (status = 'SENT' AND created_at < now() - interval '30 days')"
    " OR (status = 'FAILED' AND created_at < now() - interval '90 days')",
    "webhook_deliveries": "DELETE FROM webhook_deliveries WHERE status <> 'PENDING'"
    " AND created_at < now() - interval '30 days'",
    # an expired hold counts for nothing already (resolvers/booking/seats.py); kept a day so that a late
    # `book` with it is told it expired rather than that it never existed
    "slot_holds": "DELETE FROM slot_holds WHERE expires_at < now() - interval '1 day'",
}


async def prune(conn: AsyncConnection) -> dict[str, int]:
    """How many rows of each table went."""
    return {table: (await conn.execute(text(statement))).rowcount for table, statement in _PRUNE.items()}
