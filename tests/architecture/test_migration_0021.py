"""Migration 0021 fills in the name hash of the open bookings made before it (findBookings by name finds them),
with the installation's secret key, and leaves closed ones alone; an every-office OPERATOR grant is accepted."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from core.db import alembic_config
from core.settings import Settings
from resolvers.booking.identity import name_hash

KEY = "a-key-for-the-0021-backfill-test-only-0123456789"
ROWS = """
    INSERT INTO offices (slug, name, timezone) VALUES ('centro', 'Centro', 'UTC');
    INSERT INTO services (slug, name, duration_minutes, ticket_prefix, search_text)
        VALUES ('dni', 'DNI', 15, 'D', 'dni');
    INSERT INTO slots (office_id, service_id, starts_at, ends_at, capacity)
        VALUES (1, 1, now() + interval '1 day', now() + interval '1 day 15 minutes', 2);
    INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel, citizen_name,
        document_hash, document_hint, manage_nonce, manage_token_hash)
    SELECT code, CAST(status AS booking_status), 1, 1, 1, now() + interval '1 day', now() + interval '1 day 15 minutes',
        'PHONE', name, '\\x01', '***1234', '\\x02', decode(md5(code), 'hex')
    FROM (VALUES ('AAAA2222', 'BOOKED', 'José  María Núñez'), ('BBBB3333', 'CANCELLED', 'Ana Pérez'))
        AS v(code, status, name);
"""


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _alembic(url: str) -> Config:
    config = alembic_config(url)
    assert isinstance(config, Config)
    return config


async def test_open_bookings_get_their_name_hash(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.database_url is not None
    name = f"{make_url(settings.database_url).database}_m0021"
    admin = await asyncpg.connect(_dsn(settings.database_url))
    monkeypatch.setenv("TURNERO_SECRET_KEY", KEY)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
        url = _dsn(settings.database_url, name)
        # alembic's commands run env.py, which runs its own event loop: in a thread, not in the test's loop
        await asyncio.to_thread(command.upgrade, _alembic(url), "0019")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(ROWS)
            await asyncio.to_thread(command.upgrade, _alembic(url), "0021_booking_lookup_hashes")
            hashes = dict(await conn.fetch("SELECT code, name_hash FROM bookings"))
            await conn.execute("INSERT INTO staff_users (username, password_hash) VALUES ('linea', 'x')")
            await conn.execute("INSERT INTO role_grants (staff_user_id, role) VALUES (1, 'OPERATOR')")
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("INSERT INTO role_grants (staff_user_id, role) VALUES (1, 'CLERK')")
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()

    assert hashes == {"AAAA2222": name_hash(KEY.encode(), "jose maria nunez"), "BBBB3333": None}
