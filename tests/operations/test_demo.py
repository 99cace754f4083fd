"""The demo city: loads through the real command, is believable, and a second run adds nothing."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from demo.city_data import OFFICES, SERVICES
from demo.seed import TIMEZONE
from models import Base
from tests.support.api import Api
from tests.support.processes import environment, main_py

pytestmark = pytest.mark.slow


async def row_counts(state: AppState) -> dict[str, int]:
    async with state.engine.connect() as conn:
        return {
            table.name: (await conn.execute(text(f"SELECT count(*) FROM {table.name}"))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


async def test_seed_demo_twice_adds_nothing_the_second_time(api: Api, state: AppState, settings: Settings) -> None:
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY="demo-test-key-long-enough-for-hmac-32b",
    )

    first = main_py("seed", "--demo", env=env, timeout=600)
    after_first = await row_counts(state)
    second = main_py("seed", "--demo", env=env, timeout=600)
    after_second = await row_counts(state)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert after_second == after_first
    assert re.search(r"demo city: 30 offices, 180 procedures, 0 new slots \(\d+ in all\)", second.stdout)
    assert after_first["offices"] == len(OFFICES) == 30
    assert after_first["services"] == len(SERVICES) == 180
    assert after_first["device_tokens"] == 60
    assert after_first["slots"] > 100_000
    # the printed credentials work, and are the same on both runs
    admin_password = re.search(r"^  admin\s+(\S+)\s+ADMIN\s+every office$", second.stdout, re.MULTILINE)
    assert admin_password, second.stdout
    assert admin_password.group(1) in first.stdout
    token = await api.login("admin", admin_password.group(1))
    me = await api.run("{ me { username } }", token=token)
    assert me == {"me": {"username": "admin"}}


async def test_demo_kiosk_token_authenticates_as_its_office(api: Api, state: AppState, settings: Settings) -> None:
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY=settings.secret_key.decode(),
    )
    seeded = main_py("seed", "--demo", env=env, timeout=600)
    # the tokens go to a file the command names, not to 120 lines of the terminal
    tokens = settings.data_dir / "demo-tokens.txt"
    assert f"Kiosk and display tokens, and every account: {tokens}" in seeded.stdout
    assert "td_" not in seeded.stdout
    kiosk = re.search(rf"^  {OFFICES[0].slug} \(office \d+\)\n    KIOSK\s+(td_\S+)$", tokens.read_text(), re.MULTILINE)

    assert kiosk, seeded.stdout
    response = await api.post("{ offices { id } }", token=kiosk.group(1))
    assert response.status_code == 200


async def test_seed_history_simulates_past_days_once(api: Api, state: AppState, settings: Settings) -> None:
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY="demo-test-key-long-enough-for-hmac-32b",
    )
    day_of_first = datetime.now(ZoneInfo(TIMEZONE)).date()
    first = main_py("seed", "--demo", "--history", "3", env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    after_first = await row_counts(state)
    second = main_py("seed", "--demo", "--history", "3", env=env, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout
    after_second = await row_counts(state)
    if datetime.now(ZoneInfo(TIMEZONE)).date() != day_of_first:
        # the city's midnight passed during the runs: the second one rightly released the new day's slots
        assert after_second.pop("slots") > after_first.pop("slots")
    assert after_second == after_first
    async with state.engine.connect() as conn:
        checks = (
            await conn.execute(
                text("""SELECT
                    (SELECT count(*) FROM bookings WHERE notes = 'demo history') AS bookings,
                    (SELECT count(*) FROM bookings WHERE notes = 'demo history' AND starts_at >= now()) AS future,
                    (SELECT count(*) FROM tickets WHERE booking_id IS NULL) AS walk_ins,
                    (SELECT count(*) FROM feedback WHERE rating IS NOT NULL) AS ratings,
                    (SELECT count(*) FROM slots sl WHERE sl.booked <> (SELECT count(*) FROM bookings b
                        WHERE b.slot_id = sl.id AND b.status <> 'CANCELLED')) AS seats_miscounted,
                    (SELECT count(*) FROM bookings b WHERE b.status = 'COMPLETED'
                        AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id)) AS came_without_ticket,
                    (SELECT count(*) FROM bookings b WHERE b.created_at >= b.starts_at) AS booked_after_start,
                    (SELECT count(*) FROM visit_facts) AS facts,
                    (SELECT count(*) FROM bookings) + (SELECT count(*) FROM tickets) AS visits""")
            )
        ).one()
    assert checks.bookings > 0
    assert checks.walk_ins > 0
    assert checks.ratings > 0
    assert checks.future == 0
    assert checks.seats_miscounted == 0
    assert checks.came_without_ticket == 0
    assert checks.booked_after_start == 0
    assert checks.facts == checks.visits  # the analytics facts are ready when the command ends
