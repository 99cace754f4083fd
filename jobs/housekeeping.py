"""Housekeeping jobs: reminders into the outbox, and pruning what is no longer needed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from jobs.context import JobContext, state

_REMINDERS = text("""
    WITH due AS (
        UPDATE bookings SET reminder_queued_at = now()
        WHERE status = 'BOOKED' AND reminder_queued_at IS NULL
          AND starts_at > now() AND starts_at <= now() + :ahead
          -- booked inside the reminder window: the confirmation was the reminder
          AND created_at < starts_at - :ahead
        RETURNING id
    )
    INSERT INTO outbox (kind, booking_id) SELECT 'booking.reminder', id FROM due
""")


async def queue_reminders(ctx: JobContext) -> dict[str, int]:
    """Puts a reminder in the outbox for each booking that enters the reminder window; never twice."""
    app = state(ctx)
    async with app.engine.begin() as conn:
        result = await conn.execute(_REMINDERS, {"ahead": timedelta(hours=app.settings.reminder_hours)})
    return {"queued": result.rowcount}


_PRUNE = {
    # kept for at least a day, as promised to clients retrying a request
    "idempotency_keys": "DELETE FROM idempotency_keys WHERE created_at < now() - interval '2 days'",
    "outbox": "DELETE FROM outbox WHERE (status = 'SENT' AND created_at < now() - interval '30 days')"
    " OR (status = 'FAILED' AND created_at < now() - interval '90 days')",
    "webhook_deliveries": "DELETE FROM webhook_deliveries WHERE status <> 'PENDING'"
    " AND created_at < now() - interval '30 days'",
    # an expired hold counts for nothing already (resolvers/booking/seats.py); kept a day so that a late
    # `book` with it is told it expired rather than that it never existed
    "slot_holds": "DELETE FROM slot_holds WHERE expires_at < now() - interval '1 day'",
}


async def prune(ctx: JobContext) -> dict[str, int]:
    app = state(ctx)
    pruned: dict[str, int] = {}
    async with app.engine.begin() as conn:
        for table, statement in _PRUNE.items():
            pruned[table] = (await conn.execute(text(statement))).rowcount
    return pruned
