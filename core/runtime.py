"""Which servers this process talks to, and the connections every process holds while it runs.

What only `serve` needs (the live queue's pub/sub and poller) is not here: realtime/live.py opens it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import availability_versions
from core.db import create_engine
from core.embedded import embedded_postgres_url, embedded_redis_url
from core.ratelimit import RateLimiter
from core.settings import Settings

logger = logging.getLogger("turnero.db")


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
    # None when TURNERO_RATE_LIMITS=0
    limiter: RateLimiter | None = None
    # DATABASE_READ_URL's engine, None without a replica: only for reads that tolerate its lag (lagging_read)
    replica: AsyncEngine | None = None

    @property
    def secret_key(self) -> bytes:
        return self.settings.secret_key


@asynccontextmanager
async def open_state(settings: Settings, *, application_name: str = "turnero") -> AsyncIterator[AppState]:
    assert settings.database_url, "resolve_servers() first"
    assert settings.redis_url, "resolve_servers() first"
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        application_name=application_name,
        pooler=settings.db_pooler,
    )
    replica = (
        create_engine(
            settings.database_read_url,
            pool_size=settings.db_pool_size,
            application_name=application_name,
            pooler=settings.db_pooler,
        )
        if settings.database_read_url
        else None
    )
    redis = redis_client(settings.redis_url)
    limiter = RateLimiter(settings) if settings.rate_limits else None
    availability_versions.install(engine, redis)
    try:
        yield AppState(settings=settings, engine=engine, redis=redis, limiter=limiter, replica=replica)
    finally:
        if limiter is not None:
            await limiter.close()
        availability_versions.uninstall(engine)
        await redis.aclose()
        if replica is not None:
            await replica.dispose()
        await engine.dispose()


@asynccontextmanager
async def lagging_read(state: AppState) -> AsyncIterator[AsyncConnection]:
    """A connection for a read that tolerates lag: the replica's, or the primary's while the
    replica cannot be reached, so that a replica down slows no citizen's search to an error. Only connecting
    falls back; a statement that fails on the replica fails as it would on the primary."""
    connection: AsyncConnection | None = None
    if state.replica is not None:
        try:
            connection = await state.replica.connect().start()
        except (OSError, DBAPIError) as error:  # refused, timed out, or the standby not accepting connections yet
            logger.warning("replica unreachable, reading the primary: %s", type(error).__name__)
    if connection is None:
        connection = await state.engine.connect().start()
    try:
        yield connection
    finally:
        await connection.close()
