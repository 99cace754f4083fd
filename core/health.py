"""Is the database or Redis reachable? Used by /health/ready and to tell an outage from a bug."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT = 2.0


def is_unavailable(error: BaseException | None) -> bool:
    """A lost or refused connection (the server is down or restarting), as opposed to a fault of ours."""
    if error is None:
        return False
    if isinstance(
        error,
        OSError | TimeoutError | RedisConnectionError | RedisTimeoutError | OperationalError | InterfaceError,
    ):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    name = type(error).__name__
    return name in {"ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionFailureError"} or (
        error.__cause__ is not None and is_unavailable(error.__cause__)
    )


async def check_database(engine: AsyncEngine) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), engine.connect() as conn:
            await conn.execute(select(1))
    except Exception as error:  # any failure means "not ready"; the reason goes in the answer
        return f"{type(error).__name__}: {error}"[:200]
    return None


async def check_redis(redis: Redis) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await redis.ping()
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200]
    return None
