"""Keeps the visit facts current: the recent days and everything ahead every 5 minutes, the last five
weeks nightly (no-shows marked late, ratings given days after the visit). Idempotent upserts. And keeps
the `stats` answers managers ask most over the closed days computed ahead (resolvers/analytics/answers.py):
every 5 minutes, those a refresh deleted (or a new day made due) are computed again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from jobs.context import JobContext, state
from resolvers.analytics.facts import refresh_facts
from resolvers.analytics.stats import compute_ahead

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


async def precompute_stats(ctx: JobContext) -> dict[str, int]:
    app = state(ctx)
    computed = await compute_ahead(app.engine, app.replica)
    if computed:
        logger.info("stats answers computed ahead: %d", computed)
    return {"computed": computed}
