"""The waitlist's clock: offers whose time is up pass their seat on (resolvers/waitlist/offers.py)."""

from __future__ import annotations

from jobs.context import JobContext, state
from resolvers.waitlist.offers import EXPIRY_BATCH, OfferTiming, expire_one


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
