"""Database URLs, the async engine, and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` as people write it, in the form SQLAlchemy's asyncpg dialect takes."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.drivername != "postgresql+asyncpg":
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, not {parsed.drivername}://")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str, *, pool_size: int = 10, application_name: str = "turnero", pooler: str = "none"
) -> AsyncEngine:
    """`pooler="pgbouncer"`: the URL reaches a PgBouncer in transaction pooling mode (see pooler_connect_args)."""
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,  # a failed statement's message would carry names, e-mails, phones (log_privacy.py)
        connect_args={
            "server_settings": {"application_name": application_name},
            "timeout": 5,
            **pooler_connect_args(pooler),
        },
    )
    event.listen(engine.sync_engine, "checkout", _closed_is_replaced)
    return engine


def _closed_is_replaced(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection the server closed (the database restarted, an administrator terminated it) is
    replaced at checkout instead of failing its request: the pool tries another one.

    Instead of SQLAlchemy's pool_pre_ping, which asyncpg's dialect makes BEGIN, `;` and ROLLBACK: three round
    trips before every request's first statement (1.5 ms of CPU a request, as much as a trivial query). A server
    that ends a connection sends its reason and closes the socket, which asyncpg has seen by the time the
    connection is checked out again (it sat idle in the pool while the event loop ran), so its `is_closed()`
    says so without a round trip. What this does not see is a peer that vanished without closing (a network
    cut): that request fails once with a connection error, and the pool drops the connection."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def pooler_connect_args(pooler: str) -> dict[str, Any]:
    """What asyncpg needs behind the pooler.

    Under PgBouncer's transaction pooling each transaction may run on another server connection, shared with
    other clients. asyncpg names its prepared statements __asyncpg_stmt_1__, 2… per client connection, so two
    clients would prepare the same name on one server connection ("prepared statement … already exists"), and a
    statement cached by one transaction would be missing in the next. So: no cache in asyncpg nor in SQLAlchemy's
    dialect, and every statement the unnamed one. Unique names (SQLAlchemy's documented recipe) would not
    collide either, but each would stay prepared on whichever server connection ran it until PgBouncer closes
    that connection, since asyncpg closes a dropped statement on its next transaction's connection; the unnamed
    statement is replaced by the next, and asyncpg sends its Parse again with the Bind (a cache size of 0 makes
    it), so nothing depends on the server connection staying the same. PgBouncer 1.21's max_prepared_statements
    would keep the cache, but Debian 12 ships 1.18.

    What else transaction pooling breaks is not used: advisory locks and settings are transaction-scoped
    everywhere but in migrations (which run on DATABASE_DIRECT_URL), and nothing LISTENs (the live queue's
    events travel through Redis)."""
    if pooler == "none":
        return {}
    if pooler != "pgbouncer":
        raise ValueError(f"unknown pooler {pooler!r}: none or pgbouncer")
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unnamed,
    }


def _unnamed() -> str:
    return ""


def alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Applies pending migrations (blocking; run it outside an event loop or in a thread)."""
    from alembic import command
    from alembic.config import Config

    config = alembic_config(url)
    assert isinstance(config, Config)
    command.upgrade(config, "head")
