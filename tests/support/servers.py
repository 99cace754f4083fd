"""The real servers the tests run on: the machine's own when DATABASE_URL/REDIS_URL are set, else embedded ones.

Either way the tests get a database of their own (turnero_test, or TURNERO_TEST_DATABASE), created afresh
for each run. Under pytest-xdist each worker (gw0, gw1…) gets its own database (turnero_test_gw1) and the Redis db
after the one it was given (REDIS_URL …/0: gw0 uses 0, gw1 uses 1), so that workers never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from sqlalchemy.engine import make_url

from core.embedded import embedded_postgres_url, embedded_redis_url

# several suites may run side by side on one machine, each with a database (and a Redis db) of its own
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)
TEST_DATABASE = os.environ.get("TURNERO_TEST_DATABASE", "turnero_test") + (f"_{WORKER}" if WORKER else "")
DATA_DIR = Path(__file__).resolve().parents[2] / "var" / "test-servers"


def _asyncpg_dsn(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def recreate_database(url: str, database: str) -> None:
    """Drops the database (whoever is connected) and creates it empty."""
    conn = await asyncpg.connect(_asyncpg_dsn(url, make_url(url).database or "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {database}")
    finally:
        await conn.close()


def _worker_redis(url: str) -> str:
    """The Redis db of this xdist worker: the given one shifted by the worker's index."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # redis-py reads a socket's db from the query: unix:///…/redis.sock?db=1
        query = dict(parse_qsl(parts.query))
        query["db"] = str(int(query.get("db", 0)) + WORKER_INDEX)
        return f"unix://{parts.path}?{urlencode(query)}"
    given = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{given + WORKER_INDEX}"))


def test_servers() -> tuple[str, str]:
    """(database URL, redis URL) for this test run, the database freshly created."""
    base = os.environ.get("DATABASE_URL") or embedded_postgres_url(DATA_DIR)
    redis_url = _worker_redis(os.environ.get("REDIS_URL") or embedded_redis_url(DATA_DIR))
    asyncio.run(recreate_database(base, TEST_DATABASE))
    return _asyncpg_dsn(base, TEST_DATABASE), redis_url


test_servers.__test__ = False  # type: ignore[attr-defined]
