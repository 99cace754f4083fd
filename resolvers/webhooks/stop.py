"""Stopping an endpoint: by an administrator, or by the partner's own server answering 410 Gone."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# one statement, so no delivery can be added or settled between the two halves
_STOP = text("""
    WITH stopped AS (UPDATE webhook_endpoints SET active = false WHERE id = :id RETURNING id),
    ended AS (
        UPDATE webhook_deliveries SET status = 'FAILED', last_error = :reason
        WHERE endpoint_id IN (SELECT id FROM stopped) AND status = 'PENDING'
    )
    SELECT count(*) FROM stopped
""")


async def stop_endpoint(conn: AsyncConnection, endpoint_id: int, reason: str) -> bool:
    """No more deliveries: those still pending end FAILED with `reason`, new events add none. Whether the
    endpoint exists."""
    return bool((await conn.execute(_STOP, {"id": endpoint_id, "reason": reason})).scalar_one())
