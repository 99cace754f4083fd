"""The arq worker: `python main.py worker`."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker, create_worker

from core.settings import Settings
from jobs import analytics, confirmations, context, draws, housekeeping, outbox, privacy, slots, waitlist, webhooks
from jobs.failures import counted
from jobs.supervisor import supervise
from resolvers.agenda.release_windows import NIGHTLY_RELEASE

QUEUE_NAME = "turnero:jobs"
EVERY_5_MINUTES = set(range(0, 60, 5))
# an expired offer's seat stays held for resolvers/booking/freed_seats.py OFFER_GRACE (2 min): well above this
EVERY_30_SECONDS = {0, 30}

# every job counts its failed runs for /metrics
RELEASE_SLOTS = counted(slots.release_slots)
SWEEP_NO_SHOWS = counted(slots.sweep_no_shows)
DELIVER_OUTBOX = counted(outbox.deliver_outbox)
QUEUE_REMINDERS = counted(housekeeping.queue_reminders)
PRUNE = counted(housekeeping.prune)
DELIVER_WEBHOOKS = counted(webhooks.deliver_webhooks)
REFRESH_RECENT_FACTS = counted(analytics.refresh_recent_facts)
REFRESH_DEEP_FACTS = counted(analytics.refresh_deep_facts)
PRECOMPUTE_STATS = counted(analytics.precompute_stats)
EXPIRE_UNCONFIRMED = counted(confirmations.expire_unconfirmed)
EXPIRE_OFFERS = counted(waitlist.expire_offers)
PASS_ON_LAPSED_HOLDS = counted(waitlist.pass_on_lapsed_holds)
RUN_DRAWS = counted(draws.run_draws)
ANONYMISE = counted(privacy.anonymise)


class WorkerSettings:
    functions: ClassVar[list[Any]] = [
        RELEASE_SLOTS,
        SWEEP_NO_SHOWS,
        DELIVER_OUTBOX,
        QUEUE_REMINDERS,
        PRUNE,
        DELIVER_WEBHOOKS,
        REFRESH_RECENT_FACTS,
        REFRESH_DEEP_FACTS,
        PRECOMPUTE_STATS,
        EXPIRE_UNCONFIRMED,
        EXPIRE_OFFERS,
        PASS_ON_LAPSED_HOLDS,
        RUN_DRAWS,
        ANONYMISE,
    ]
    cron_jobs: ClassVar[list[Any]] = [
        cron(
            RELEASE_SLOTS,
            hour={NIGHTLY_RELEASE.hour},
            minute={NIGHTLY_RELEASE.minute},
            unique=True,
            run_at_startup=True,
        ),
        cron(SWEEP_NO_SHOWS, minute=EVERY_5_MINUTES, unique=True),
        cron(QUEUE_REMINDERS, minute=EVERY_5_MINUTES, unique=True, run_at_startup=True),
        cron(PRUNE, hour={3}, minute={30}, unique=True),
        cron(REFRESH_RECENT_FACTS, minute=EVERY_5_MINUTES, unique=True, run_at_startup=True),
        cron(REFRESH_DEEP_FACTS, hour={3}, minute={45}, unique=True),
        # two minutes after each recent refresh, which may have deleted answers of yesterday's spans
        cron(PRECOMPUTE_STATS, minute={m + 2 for m in EVERY_5_MINUTES}, unique=True, run_at_startup=True, timeout=900),
        # availability shows a lapsed PENDING booking's seat again within this; booking that slot frees it at once
        cron(EXPIRE_UNCONFIRMED, second=set(range(0, 60, confirmations.EVERY_SECONDS)), unique=True),
        cron(EXPIRE_OFFERS, second=EVERY_30_SECONDS, unique=True, run_at_startup=True),
        cron(
            PASS_ON_LAPSED_HOLDS,
            second=set(range(0, 60, waitlist.LAPSED_HOLDS_EVERY_SECONDS)),
            unique=True,
            run_at_startup=True,
        ),
        # a draw runs within 30 s of its window's close (releaseCalendar's drawClosesAt)
        cron(RUN_DRAWS, second=EVERY_30_SECONDS, unique=True, run_at_startup=True),
        # personal data past TURNERO_RETENTION_DAYS, after the night's pruning and analytics refresh; the first
        # run over years of history may take longer than arq's default 5 minutes (each batch commits on its own)
        cron(ANONYMISE, hour={4}, minute={0}, unique=True, timeout=3600),
    ]
    # no on_startup/on_shutdown: the process's connections are opened once in run(), so that they outlive
    # the Workers that jobs/supervisor.py starts again after a Redis restart
    queue_name = QUEUE_NAME
    # cron hours in UTC whatever the host's zone: releaseCalendar announces the nightly release at 02:15 UTC
    timezone = UTC


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def delivery_crons(settings: Settings) -> list[Any]:
    """Not unique: every worker drains the outbox and the webhooks; SKIP LOCKED claims keep them apart."""
    every = settings.delivery_every_seconds
    if every < 1 or 60 % every:
        raise ValueError("TURNERO_DELIVERY_EVERY_SECONDS must divide 60")
    seconds = set(range(0, 60, every))
    return [
        cron(DELIVER_OUTBOX, second=seconds, unique=False, run_at_startup=True),
        cron(DELIVER_WEBHOOKS, second=seconds, unique=False, run_at_startup=True),
    ]


def run(settings: Settings) -> None:
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    assert settings.redis_url
    ctx: context.JobContext = {"turnero_settings": settings}
    options: dict[str, Any] = {
        "redis_settings": redis_settings(settings.redis_url),
        "ctx": ctx,
        "cron_jobs": [*WorkerSettings.cron_jobs, *delivery_crons(settings)],
        "handle_signals": False,  # the supervisor's handlers stop the worker for good
    }

    def make_worker() -> Worker:
        return create_worker(WorkerSettings, **options)  # type: ignore[arg-type]

    await context.startup(ctx)
    try:
        await supervise(make_worker, max_delay=settings.worker_reconnect_max_seconds)
    finally:
        await context.shutdown(ctx)
