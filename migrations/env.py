"""Alembic environment: async engine, the model's metadata, one transaction per migration run."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # `alembic check` (and tests/architecture/test_models_match_migrations.py, which runs it) should also see
        # a column type or a server default that the model and the migrations disagree on. What autogenerate cannot
        # compare at all (CHECK constraints' text and names, partial indexes' WHERE, enum labels) that test
        # compares in PostgreSQL's own catalogue instead, between the migrated database and one built from models/
        compare_type=True,
        compare_server_default=True,
    )
    # several `serve` processes may start at once: the first migrates, the others wait and find nothing to do.
    # A session lock, not a transaction's: a migration's autocommit block (ALTER TYPE ... ADD VALUE) commits
    # mid-run, and the others must still wait for the whole run
    connection.execute(text("SELECT pg_advisory_lock(7391)"))
    connection.commit()
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(7391)"))
        connection.commit()


async def _run_async() -> None:
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "", poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python main.py migrate`")
asyncio.run(_run_async())
