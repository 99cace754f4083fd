"""A pooled connection the server ended is replaced, not handed to a request (core/db.py, without a ping)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from core.db import create_engine
from core.settings import Settings

PID = text("SELECT pg_backend_pid()")


async def test_a_connection_the_server_ended_is_replaced_at_checkout(settings: Settings) -> None:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1)
    other = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(PID)).scalar()
        async with other.connect() as conn:  # as a restart of the database does to every connection
            assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})).scalar()
        await asyncio.sleep(0.5)  # the pool's idle connection reads the server's goodbye

        async with engine.connect() as conn:
            second = (await conn.execute(PID)).scalar()

        assert second != first
    finally:
        await engine.dispose()
        await other.dispose()
