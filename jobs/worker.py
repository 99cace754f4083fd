"""The arq worker: `python main.py worker`."""

from __future__ import annotations

from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings
from arq.worker import run_worker

from core.settings import Settings
from jobs import analytics, context, housekeeping, outbox, slots, webhooks

QUEUE_NAME = "turnero:jobs"
EVERY_5_MINUTES = set(range(0, 60, 5))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [
        slots.release_slots,
        slots.sweep_no_shows,
        outbox.deliver_outbox,
        housekeeping.queue_reminders,
        housekeeping.prune,
        webhooks.deliver_webhooks,
        analytics.refresh_recent_facts,
        analytics.refresh_deep_facts,
    ]
    cron_jobs: ClassVar[list[Any]] = [
        cron(slots.release_slots, hour={2}, minute={15}, unique=True, run_at_startup=True),
        cron(slots.sweep_no_shows, minute=EVERY_5_MINUTES, unique=True),
        cron(housekeeping.queue_reminders, minute=EVERY_5_MINUTES, unique=True, run_at_startup=True),
        cron(housekeeping.prune, hour={3}, minute={30}, unique=True),
        cron(analytics.refresh_recent_facts, minute=EVERY_5_MINUTES, unique=True, run_at_startup=True),
        cron(analytics.refresh_deep_facts, hour={3}, minute={45}, unique=True),
    ]
    on_startup = context.startup
    on_shutdown = context.shutdown
    queue_name = QUEUE_NAME


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def delivery_crons(settings: Settings) -> list[Any]:
    """Not unique: every worker drains the outbox and the webhooks; SKIP LOCKED claims keep them apart."""
    every = settings.delivery_every_seconds
    if every < 1 or 60 % every:
        raise ValueError("TURNERO_DELIVERY_EVERY_SECONDS must divide 60")
    seconds = set(range(0, 60, every))
    return [
        cron(outbox.deliver_outbox, second=seconds, unique=False, run_at_startup=True),
        cron(webhooks.deliver_webhooks, second=seconds, unique=False, run_at_startup=True),
    ]


def run(settings: Settings) -> None:
    assert settings.redis_url
    options: dict[str, Any] = {
        "redis_settings": redis_settings(settings.redis_url),
        "ctx": {"turnero_settings": settings},
        "cron_jobs": [*WorkerSettings.cron_jobs, *delivery_crons(settings)],
    }
    run_worker(WorkerSettings, **options)  # type: ignore[arg-type]
