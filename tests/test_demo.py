"""The demo city: loads through the real command, is believable, and a second run adds nothing."""

from __future__ import annotations

import re

from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from demo.city_data import OFFICES, SERVICES
from models import Base
from tests.processes import environment, main_py
from tests.support import Api


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
        TURNERO_SECRET_KEY="demo-test-key",
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
    kiosk = re.search(rf"^  {OFFICES[0].slug} \(office \d+\)\n    KIOSK\s+(td_\S+)$", seeded.stdout, re.MULTILINE)

    assert kiosk, seeded.stdout
    response = await api.post("{ offices { id } }", token=kiosk.group(1))
    assert response.status_code == 200
