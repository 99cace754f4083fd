"""Real processes: the embedded servers shared between processes, outages and recovery, the worker, the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.embedded import embedded_postgres_url, embedded_redis_url, stop_embedded_postgres, stop_embedded_redis
from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.processes import ROOT, environment, main_py, serving, status, wait_for

pytestmark = pytest.mark.slow

RESOLVE = (
    "from core.settings import load_settings; from core.runtime import resolve_servers;"
    "s = resolve_servers(load_settings()); print(s.database_url); print(s.redis_url)"
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("turnero-data")
    yield path
    stop_embedded_postgres(path)
    stop_embedded_redis(path)


def test_two_processes_on_one_data_dir_share_the_embedded_servers(data_dir: Path) -> None:
    env = environment(TURNERO_DATA_DIR=str(data_dir))
    first, second = (
        subprocess.Popen(
            [sys.executable, "-c", RESOLVE],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    )
    outputs = [process.communicate(timeout=120) for process in (first, second)]

    assert first.returncode == second.returncode == 0, outputs
    assert outputs[0][0] == outputs[1][0]
    database_url, redis_url = outputs[0][0].split()
    assert database_url.startswith("postgresql://postgres@/turnero?host=")
    assert redis_url == f"unix://{data_dir.resolve() / 'redis' / 'redis.sock'}"
    assert len(list((data_dir / "postgres").glob("postmaster.pid"))) == 1
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600


def test_serve_reports_outages_and_recovers_by_itself(data_dir: Path) -> None:
    env = environment(TURNERO_DATA_DIR=str(data_dir))
    query = {"query": "{ offices { slug } }"}
    with serving(env) as base:
        assert httpx.post(f"{base}/graphql", json=query).json()["data"] == {"offices": []}

        stop_embedded_postgres(data_dir)
        down = httpx.post(f"{base}/graphql", json=query)
        ready_while_down = httpx.get(f"{base}/health/ready")
        embedded_postgres_url(data_dir)  # starts it again
        wait_for(lambda: status(f"{base}/health/ready") == 200, 30, "database recovery")
        after_database = httpx.post(f"{base}/graphql", json=query)

        stop_embedded_redis(data_dir)
        wait_for(lambda: status(f"{base}/health/ready") == 503, 10, "redis outage seen")
        redis_problem = httpx.get(f"{base}/health/ready").json()["problems"]
        embedded_redis_url(data_dir)
        wait_for(lambda: status(f"{base}/health/ready") == 200, 30, "redis recovery")
        live = httpx.get(f"{base}/health/live")

    assert down.status_code == 200
    assert down.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "not reachable" in down.json()["errors"][0]["message"]
    assert ready_while_down.status_code == 503
    assert "database" in ready_while_down.json()["problems"]
    assert after_database.json()["data"] == {"offices": []}
    assert "errors" not in after_database.json()
    assert list(redis_problem) == ["redis"]
    assert live.status_code == 200


async def test_the_worker_releases_slots_on_start(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    office_id = await api.office(admin_token)
    service_id = await api.service(admin_token, bookingWindowDays=3)
    await api.agenda(
        admin_token,
        officeId=office_id,
        serviceId=service_id,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        startTime="09:00",
        endTime="10:00",
        slotMinutes=30,
        capacity=1,
        validFrom=(datetime.now(ZoneInfo("America/Argentina/Cordoba")).date() + timedelta(days=1)).isoformat(),
    )
    env = environment(
        DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url, TURNERO_DATA_DIR=str(settings.data_dir)
    )
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        slots = 0
        while time.monotonic() < deadline and slots == 0 and worker.returncode is None:
            await asyncio.sleep(0.2)
            async with state.engine.connect() as conn:
                slots = (await conn.execute(text("SELECT count(*) FROM slots"))).scalar_one()
    finally:
        worker.terminate()
        _, errors = await asyncio.wait_for(worker.communicate(), timeout=20)

    assert slots == 3 * 2, errors  # two a day, for the three days of the booking window after today


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    unreachable = main_py(
        "migrate",
        env=environment(
            DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing",
            REDIS_URL="redis://127.0.0.1:1/0",
            TURNERO_DATA_DIR=str(tmp_path),
        ),
    )
    unknown = main_py("launch-rockets", env=environment(TURNERO_DATA_DIR=str(tmp_path)))
    no_password = main_py("create-admin", "root", env=environment(TURNERO_DATA_DIR=str(tmp_path)))

    assert unreachable.returncode == 1
    last_line = unreachable.stderr.strip().splitlines()[-1]
    assert last_line.startswith("turnero: cannot reach the database or Redis:")
    assert "Traceback" not in unreachable.stderr
    assert unknown.returncode == 2
    assert "invalid choice: 'launch-rockets'" in unknown.stderr
    assert no_password.returncode == 2
    assert "TURNERO_ADMIN_PASSWORD" in no_password.stderr


def test_create_admin_from_the_command_line(settings: Settings) -> None:
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_ADMIN_PASSWORD="a good long password",
    )

    created = main_py("create-admin", "chief", env=env)
    reset = main_py("create-admin", "chief", env=env)
    weak = main_py("create-admin", "chief", env=env | {"TURNERO_ADMIN_PASSWORD": "short"})

    assert (created.returncode, created.stdout.strip()) == (0, "created ADMIN chief")
    assert (reset.returncode, reset.stdout.strip()) == (0, "reset the password of ADMIN chief")
    assert weak.returncode == 2
    assert "password" in weak.stderr
