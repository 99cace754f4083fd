"""How long rows no longer needed are kept, across the domains: pruned by the nightly job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Delete, and_, delete, func, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from models.agenda import slot_holds
from models.booking import idempotency_keys, outbox
from models.notifications import webhook_deliveries

_PRUNE: dict[str, Delete] = {
    # kept for at least a day, as promised to clients retrying a request
    "idempotency_keys": delete(idempotency_keys).where(idempotency_keys.c.created_at < func.now() - timedelta(days=2)),
    "outbox": delete(outbox).where(
        or_(
            and_(outbox.c.status == "SENT", outbox.c.created_at < func.now() - timedelta(days=30)),
            and_(outbox.c.status == "FAILED", outbox.c.created_at < func.now() - timedelta(days=90)),
        )
    ),
    "webhook_deliveries": delete(webhook_deliveries).where(
        webhook_deliveries.c.status != "PENDING", webhook_deliveries.c.created_at < func.now() - timedelta(days=30)
    ),
    # an expired hold counts for nothing already (resolvers/booking/seats.py); kept a day so that a late
    # `book` with it is told it expired rather than that it never existed
    "slot_holds": delete(slot_holds).where(slot_holds.c.expires_at < func.now() - timedelta(days=1)),
}


async def prune(conn: AsyncConnection) -> dict[str, int]:
    """How many rows of each table went."""
    return {table: (await conn.execute(statement)).rowcount for table, statement in _PRUNE.items()}
