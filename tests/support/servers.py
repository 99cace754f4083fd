"""The real servers the tests run on: the machine's own when DATABASE_URL/REDIS_URL are set, else embedded ones.

Either way the tests get a database of their own (turnero_test, or TURNERO_TEST_DATABASE), created afresh
for each run.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from core.embedded import embedded_postgres_url, embedded_redis_url

# several suites may run side by side on one machine, each with a database (and a Redis db) of its own
TEST_DATABASE = os.environ.get("TURNERO_TEST_DATABASE", "turnero_test")
DATA_DIR = Path(__file__).resolve().parents[2] / "var" / "test-servers"


def _asyncpg_dsn(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _recreate(url: str, database: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url, make_url(url).database or "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {database}")
    finally:
        await conn.close()


def test_servers() -> tuple[str, str]:
    """(database URL, redis URL) for this test run, the database freshly created."""
    base = os.environ.get("DATABASE_URL") or embedded_postgres_url(DATA_DIR)
    redis_url = os.environ.get("REDIS_URL") or embedded_redis_url(DATA_DIR)
    asyncio.run(_recreate(base, TEST_DATABASE))
    return _asyncpg_dsn(base, TEST_DATABASE), redis_url


test_servers.__test__ = False  # type: ignore[attr-defined]
