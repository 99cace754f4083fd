"""The waitlist's clock: offers whose time is up pass their seat on (resolvers/booking/freed_seats.py), and so do
citizens' holds that ran out (resolvers/waitlist/lapsed_holds.py)."""

from __future__ import annotations

import logging

from jobs.context import JobContext, state
from resolvers.booking.freed_seats import EXPIRY_BATCH, OfferTiming, expire_one
from resolvers.waitlist.lapsed_holds import BATCH, pass_on_lapsed


async def expire_offers(ctx: JobContext) -> dict[str, int]:
    """Every due offer becomes EXPIRED and its seat goes to the next matching entry (or back after the
    re-release delay), each in a transaction of its own: one failing entry does not hold the others back,
    and two workers running this at once each take different entries (SKIP LOCKED)."""
    app = state(ctx)
    timing = OfferTiming.from_settings(app.settings)
    expired = 0
    while expired < EXPIRY_BATCH:
        async with app.engine.begin() as conn:
            if not await expire_one(conn, timing):
                break
        expired += 1
    return {"expired": expired}


logger = logging.getLogger("turnero.jobs")
# the lapsed holds' seats are offered within this; they stay hidden meanwhile (lapsed_holds.LAPSE_GRACE, 60 s)
LAPSED_HOLDS_EVERY_SECONDS = 5


async def pass_on_lapsed_holds(ctx: JobContext) -> dict[str, int]:
    """Batch by batch, each in its own short transaction; two workers take different holds (SKIP LOCKED)."""
    app = state(ctx)
    timing = OfferTiming.from_settings(app.settings)
    deleted = offered = 0
    while True:
        async with app.engine.begin() as conn:
            batch, to_waitlist = await pass_on_lapsed(conn, timing)
        deleted += batch
        offered += to_waitlist
        if batch < BATCH:
            break
    if offered:
        logger.info("lapsed holds: %d seats offered to the waitlist", offered)
    return {"deleted": deleted, "offered": offered}
