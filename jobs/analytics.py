"""Keeps the visit facts current: the recent days and everything ahead every 5 minutes, the last five
weeks nightly (no-shows marked late, ratings given days after the visit). Idempotent upserts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from jobs.context import JobContext, state
from resolvers.analytics.facts import refresh_facts

logger = logging.getLogger("turnero.jobs")

RECENT = timedelta(days=2)
DEEP = timedelta(days=35)


async def _refresh(ctx: JobContext, back: timedelta) -> dict[str, int]:
    async with state(ctx).engine.begin() as conn:
        changed = await refresh_facts(conn, datetime.now(UTC) - back)
    if changed:
        logger.info("analytics facts: %d rows changed", changed)
    return {"changed": changed}


async def refresh_recent_facts(ctx: JobContext) -> dict[str, int]:
    return await _refresh(ctx, RECENT)


async def refresh_deep_facts(ctx: JobContext) -> dict[str, int]:
    return await _refresh(ctx, DEEP)
