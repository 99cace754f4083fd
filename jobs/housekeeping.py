"""Housekeeping jobs: reminders into the outbox, and pruning what is no longer needed."""

from __future__ import annotations

from datetime import timedelta

from jobs.context import JobContext, state
from resolvers import retention
from resolvers.booking import reminders


async def queue_reminders(ctx: JobContext) -> dict[str, int]:
    app = state(ctx)
    async with app.engine.begin() as conn:
        queued = await reminders.queue_reminders(conn, timedelta(hours=app.settings.reminder_hours))
    return {"queued": queued}


async def prune(ctx: JobContext) -> dict[str, int]:
    app = state(ctx)
    async with app.engine.begin() as conn:
        return await retention.prune(conn)
