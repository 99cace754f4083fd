"""The nightly retention run (resolvers/privacy/retention.py) and the mail files' own retention."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from core.runtime import AppState
from jobs.context import JobContext, state
from notifications.mail.files import delete_older_than, mail_dir
from resolvers.privacy import retention

logger = logging.getLogger("turnero.jobs")


async def anonymise_before(app: AppState, cutoff: datetime, pause: float = retention.YIELD) -> dict[str, int]:
    """Everything whose retention ended before the cut-off: rows anonymised, old outbox rows and mail files gone.
    `pause`: retention.YIELD (a test may run at full speed)."""
    report = await retention.run(app.engine, cutoff, pause)
    report["mail_files"] = await asyncio.to_thread(delete_older_than, mail_dir(app.settings.data_dir), cutoff)
    logger.info("retention: %s", report)  # counts only: never what was cleared
    return report


async def anonymise(ctx: JobContext) -> dict[str, int]:
    app = state(ctx)
    return await anonymise_before(app, datetime.now(UTC) - timedelta(days=app.settings.retention_days))
