"""How much the outbox and the webhook deliveries hold, by status: the gauges of server/metrics.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

STATUSES = ("PENDING", "SENT", "FAILED")

_DEPTHS = text("""
    SELECT 'outbox' AS source, status, count(*) AS n FROM outbox GROUP BY status
    UNION ALL
    SELECT 'webhooks', status, count(*) FROM webhook_deliveries GROUP BY status
    UNION ALL
    SELECT 'due', 'PENDING', count(*) FROM outbox WHERE status = 'PENDING' AND next_attempt_at <= now()
""")


@dataclass(frozen=True, slots=True)
class Depths:
    # rows by status, every status present (0 when none)
    outbox: dict[str, int]
    webhooks: dict[str, int]
    # outbox rows waiting for delivery now
    outbox_due: int


async def depths(conn: AsyncConnection) -> Depths:
    counts: dict[str, dict[str, int]] = {"outbox": dict.fromkeys(STATUSES, 0), "webhooks": dict.fromkeys(STATUSES, 0)}
    due = 0
    for row in (await conn.execute(_DEPTHS)).mappings():
        if row["source"] == "due":
            due = row["n"]
        else:
            counts[row["source"]][row["status"]] = row["n"]
    return Depths(outbox=counts["outbox"], webhooks=counts["webhooks"], outbox_due=due)
