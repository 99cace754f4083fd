"""The webhook delivery job: every worker runs it every few seconds; SKIP LOCKED claims keep workers apart.

Sends run side by side, each bounded by the webhook timeout, and each is settled on its own as soon as it
ends: an endpoint that hangs or fails costs its own deliveries a retry, never the others' time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import asdict
from datetime import timedelta

import httpx

from core.runtime import AppState
from jobs.context import JobContext, state
from notifications.webhooks.delivery import USER_AGENT, DeliveryReport, DueDelivery, post
from resolvers.webhooks.dispatch import claim_due, settle

logger = logging.getLogger("turnero.jobs")
# a failed try is the webhooks' news, as the 410 that stops an endpoint is (resolvers/webhooks/dispatch.py)
webhook_logger = logging.getLogger("turnero.webhooks")

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


async def deliver_due(state: AppState, limit: int = 50) -> DeliveryReport:
    """Claims up to `limit` due deliveries, posts them side by side, settles each as it ends."""
    lease = timedelta(seconds=state.settings.delivery_lease_seconds)
    async with state.engine.begin() as conn:
        due = await claim_due(conn, limit, lease)
    if not due:
        return DeliveryReport()
    # redirects are not followed (Standard Webhooks: a 3xx is a failure): a redirect could lead anywhere
    async with httpx.AsyncClient(
        timeout=state.settings.webhook_timeout_seconds, follow_redirects=False, headers={"user-agent": USER_AGENT}
    ) as client:
        statuses = await asyncio.gather(*(_deliver(state, client, delivery) for delivery in due))
    return DeliveryReport(
        sent=statuses.count("SENT"), retrying=statuses.count("PENDING"), failed=statuses.count("FAILED")
    )


async def _deliver(state: AppState, client: httpx.AsyncClient, delivery: DueDelivery) -> str:
    settings = state.settings
    outcome = await post(client, state.secret_key, delivery, settings.webhook_timeout_seconds)
    async with state.engine.begin() as conn:
        status = await settle(
            conn, delivery, outcome, settings.webhook_max_attempts, timedelta(seconds=settings.retry_base_seconds)
        )
    if not outcome.delivered:
        webhook_logger.warning(
            "webhook delivery %s (endpoint %s) attempt %d failed: %s; now %s",
            delivery.id,
            delivery.endpoint_id,
            delivery.attempts,
            outcome.error,
            status,  # as settled: FAILED when its endpoint was deactivated meanwhile
        )
    return status
