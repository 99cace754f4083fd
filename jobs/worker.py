"""The arq worker: `python main.py worker`."""

from __future__ import annotations

from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings
from arq.worker import run_worker

from core.settings import Settings
from jobs import context, slots

QUEUE_NAME = "turnero:jobs"


class WorkerSettings:
    functions: ClassVar[list[Any]] = [slots.release_slots, slots.sweep_no_shows]
    cron_jobs: ClassVar[list[Any]] = [
        cron(slots.release_slots, hour={2}, minute={15}, unique=True, run_at_startup=True),
        cron(slots.sweep_no_shows, minute=set(range(0, 60, 5)), unique=True),
    ]
    on_startup = context.startup
    on_shutdown = context.shutdown
    queue_name = QUEUE_NAME


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def run(settings: Settings) -> None:
    assert settings.redis_url
    options: dict[str, Any] = {
        "redis_settings": redis_settings(settings.redis_url),
        "ctx": {"turnero_settings": settings},
    }
    run_worker(WorkerSettings, **options)  # type: ignore[arg-type]
