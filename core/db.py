"""Database URLs, the async engine, and migrations."""

from __future__ import annotations

from pathlib import Path

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


def create_engine(url: str, *, pool_size: int = 10, application_name: str = "turnero") -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,  # a connection that died while the database restarted is replaced, not used
        pool_recycle=1800,
        hide_parameters=True,  # a failed statement's message would carry names, e-mails, phones (log_privacy.py)
        connect_args={"server_settings": {"application_name": application_name}, "timeout": 5},
    )


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
