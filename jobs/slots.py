"""Nightly slot release: idempotent (ON CONFLICT DO NOTHING), so a second worker or a rerun is harmless."""

from __future__ import annotations

import logging

from jobs.context import JobContext, state
from resolvers.agenda.release import release

logger = logging.getLogger("turnero.jobs")


async def release_slots(ctx: JobContext) -> dict[str, int]:
    async with state(ctx).engine.begin() as conn:
        report = await release(conn, None, None)
    logger.info("slot release: %d created, %d unchanged", report.created, report.unchanged)
    return {"created": report.created, "unchanged": report.unchanged}
