"""Scheduled jobs: nightly slot release and the no-show sweep. Both idempotent, so a rerun is harmless."""

from __future__ import annotations

import logging

from jobs.context import JobContext, state
from resolvers.agenda.release import release
from resolvers.queue import sweep as no_shows

logger = logging.getLogger("turnero.jobs")


async def release_slots(ctx: JobContext) -> dict[str, int]:
    async with state(ctx).engine.begin() as conn:
        report = await release(conn, None, None)
    logger.info("slot release: %d created, %d unchanged", report.created, report.unchanged)
    return {"created": report.created, "unchanged": report.unchanged}


async def sweep_no_shows(ctx: JobContext) -> dict[str, int]:
    async with state(ctx).engine.begin() as conn:
        marked = await no_shows.sweep_no_shows(conn)
        outside = await no_shows.sweep_remote_no_shows(conn)
    if marked or outside:
        logger.info("no-show sweep: %d bookings and %d remote tickets marked NO_SHOW", marked, outside)
    return {"marked": marked, "remote": outside}
