"""Which servers this process talks to, and the connections it holds while it runs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_engine
from core.embedded import embedded_postgres_url, embedded_redis_url
from core.ratelimit import RateLimiter
from core.settings import Settings
from realtime.feed import QueueFeeds
from realtime.hub import QueueHub
from realtime.ticket_watch import TicketWatches


def resolve_servers(settings: Settings) -> Settings:
    """Fills in DATABASE_URL and REDIS_URL, starting the embedded servers where they are not set.

    The URLs are also put in the environment so that processes this one starts (uvicorn workers)
    join the same servers instead of starting their own.
    """
    database_url = settings.database_url or embedded_postgres_url(settings.data_dir)
    redis_url = settings.redis_url or embedded_redis_url(settings.data_dir)
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    # the secret key is generated (once) here, before any worker could race to generate its own
    _ = settings.secret_key
    return settings.model_copy(update={"database_url": database_url, "redis_url": redis_url})


def redis_client(url: str) -> Redis:
    client: Redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    return client


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    redis: Redis
    hub: QueueHub
    feeds: QueueFeeds
    tickets: TicketWatches
    # None when TURNERO_RATE_LIMITS=0
    limiter: RateLimiter | None = None

    @property
    def secret_key(self) -> bytes:
        return self.settings.secret_key


@asynccontextmanager
async def open_state(settings: Settings, *, application_name: str = "turnero") -> AsyncIterator[AppState]:
    assert settings.database_url, "resolve_servers() first"
    assert settings.redis_url, "resolve_servers() first"
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, application_name=application_name)
    redis = redis_client(settings.redis_url)
    hub = QueueHub(engine, settings.redis_url, buffer_limit=settings.queue_buffer_limit)
    feeds = QueueFeeds(hub, engine, buffer_limit=settings.queue_buffer_limit)
    tickets = TicketWatches(hub, engine, buffer_limit=settings.queue_buffer_limit)
    limiter = RateLimiter(settings) if settings.rate_limits else None
    await hub.start()
    try:
        yield AppState(
            settings=settings, engine=engine, redis=redis, hub=hub, feeds=feeds, tickets=tickets, limiter=limiter
        )
    finally:
        if limiter is not None:
            await limiter.close()
        await tickets.stop()
        await feeds.stop()
        await hub.stop()
        await redis.aclose()
        await engine.dispose()
