"""The confirmation sweep: PENDING bookings past their deadline are cancelled and their seats offered to the
waitlist, or put back on sale after the re-release delay."""

from __future__ import annotations

import logging

from jobs.context import JobContext, state
from resolvers.booking.confirmation import SWEEP_BATCH, expire_lapsed
from resolvers.booking.freed_seats import OfferTiming, pass_on

logger = logging.getLogger("turnero.jobs")
EVERY_SECONDS = 30


async def expire_unconfirmed(ctx: JobContext) -> dict[str, int]:
    """Batch by batch, each in its own short transaction (a bot's thousand lapsed bookings do not hold
    a thousand locks at once). Safe alongside another worker: SKIP LOCKED keeps them apart."""
    expired = 0
    timing = OfferTiming.from_settings(state(ctx).settings)
    while True:
        async with state(ctx).engine.begin() as conn:
            freed = await expire_lapsed(conn)
            for slot_id in freed:  # each freed seat goes to the waitlist first, in the same transaction
                await pass_on(conn, slot_id, timing)
        expired += len(freed)
        if len(freed) < SWEEP_BATCH:
            break
    if expired:
        # counted in seats: a party's lapsed booking gives back one per person
        logger.info("confirmation sweep: %d seats of unconfirmed bookings given back", expired)
    return {"expired": expired}
