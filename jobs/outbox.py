"""Telling people what happened: the outbox delivery job.

Delivery claims a batch (resolvers/outbox/claims.py), fans each row out to the partner's webhook
deliveries in the claim's own transaction, then sends the mails concurrently, each settled on its own:
one unreachable address or a dead SMTP server never holds up the rest of the queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import timedelta

from core.runtime import AppState
from jobs.context import JobContext, state
from notifications.mail.transport import Mailer, mailer
from notifications.outbox import OutboxRow
from resolvers.outbox import claims
from resolvers.outbox.mail import compose
from resolvers.webhooks.fanout import fan_out

logger = logging.getLogger("turnero.jobs")

BATCH = 100
# below the pool size: each lane holds one connection at a time, so none waits for (or churns) overflow ones
CONCURRENT_SENDS = 8
# a run stops claiming after this long, well inside arq's job timeout; the next tick carries on
RUN_SECONDS = 60


async def _deliver(app: AppState, out: Mailer, row: OutboxRow, gate: asyncio.Semaphore) -> str:
    settings = app.settings
    async with gate:
        try:
            async with app.engine.begin() as conn:
                message = await compose(conn, settings, row)
            if message is not None:
                await out.send(message)
        except Exception as error:  # any failure is retried: the row is the record, nothing is lost
            async with app.engine.begin() as conn:
                status = await claims.mark_failed(
                    conn,
                    row,
                    f"{type(error).__name__}: {error}",
                    settings.outbox_max_attempts,
                    timedelta(seconds=settings.retry_base_seconds),
                )
            logger.warning("outbox %s (%s) attempt %d failed: %r", row.id, row.kind, row.attempts, error)
            return status
        async with app.engine.begin() as conn:
            await claims.mark_sent(conn, row.id)
        return "SENT"


async def deliver_outbox(ctx: JobContext) -> dict[str, int]:
    """Drains what is due now; rows that fail come due again later, in a later run."""
    app = state(ctx)
    gate = asyncio.Semaphore(CONCURRENT_SENDS)
    report: Counter[str] = Counter()
    deadline = time.monotonic() + RUN_SECONDS
    async with mailer(app.settings) as out:  # the run's SMTP connections, reused from mail to mail
        while time.monotonic() < deadline:
            if not await _deliver_batch(app, out, gate, report):
                break
    if report:
        logger.info("outbox: %s", dict(report))
    return dict(report)


async def _deliver_batch(app: AppState, out: Mailer, gate: asyncio.Semaphore, report: Counter[str]) -> bool:
    """Claims and sends one batch; whether a full batch was claimed (more may be due)."""
    async with app.engine.begin() as conn:
        rows = await claims.claim(conn, BATCH, timedelta(seconds=app.settings.delivery_lease_seconds))
        for row in rows:
            report["webhooks"] += await fan_out(conn, row)
    for status in await asyncio.gather(*(_deliver(app, out, row, gate) for row in rows)):
        report[status] += 1
    return len(rows) == BATCH
