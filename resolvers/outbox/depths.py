"""How much the outbox and the webhook deliveries hold, by status: the gauges of server/metrics.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import outbox
from models.notifications import webhook_deliveries

STATUSES = ("PENDING", "SENT", "FAILED")

_DEPTHS = union_all(
    select(literal("outbox").label("source"), outbox.c.status, func.count().label("n")).group_by(outbox.c.status),
    select(literal("webhooks"), webhook_deliveries.c.status, func.count()).group_by(webhook_deliveries.c.status),
    # the status written into the SQL, not sent as a parameter: a generic plan still uses ix_outbox_due
    select(literal("due"), literal("PENDING"), func.count()).where(
        outbox.c.status == literal_column("'PENDING'"), outbox.c.next_attempt_at <= func.now()
    ),
)


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
