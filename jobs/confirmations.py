"""The confirmation sweep: PENDING bookings past their deadline are cancelled and their seats go back on sale."""

from __future__ import annotations

import logging

from jobs.context import JobContext, state
from resolvers.booking.confirmation import SWEEP_BATCH, expire_lapsed

logger = logging.getLogger("turnero.jobs")
EVERY_SECONDS = 30


async def expire_unconfirmed(ctx: JobContext) -> dict[str, int]:
    """Batch by batch, each in its own short transaction (a bot's thousand lapsed bookings do not hold
    a thousand locks at once). Safe alongside another worker: SKIP LOCKED keeps them apart."""
    expired = 0
    while True:
        async with state(ctx).engine.begin() as conn:
            batch = await expire_lapsed(conn)
        expired += batch
        if batch < SWEEP_BATCH:
            break
    if expired:
        logger.info("confirmation sweep: %d unconfirmed bookings cancelled, their seats given back", expired)
    return {"expired": expired}
