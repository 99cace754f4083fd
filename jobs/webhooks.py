"""The webhook delivery job: every worker runs it every few seconds; SKIP LOCKED claims keep workers apart."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict

from jobs.context import JobContext, state
from notifications.webhooks.delivery import deliver_due

logger = logging.getLogger("turnero.jobs")

BATCH = 50
# a run stops claiming after this long, well inside arq's job timeout; the next tick carries on
RUN_SECONDS = 60


async def deliver_webhooks(ctx: JobContext) -> dict[str, int]:
    """Drains what is due now, batch after batch; failed deliveries come due again in a later run."""
    app = state(ctx)
    totals: Counter[str] = Counter()
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        report = await deliver_due(app, BATCH)
        totals.update(asdict(report))
        if report.claimed < BATCH:
            break
    if sum(totals.values()):
        logger.info("webhooks: %s", dict(totals))
    return dict(totals)
