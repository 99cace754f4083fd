"""`bench.analytics` in its short mode (two days of the demo city's history, one timed request each): that it
seeds, serves, asks every grouping cold and warm (the same answers) and prints its JSON.
How fast it answers is what the bench measures, not this."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from bench.analytics import GROUPINGS
from core.settings import Settings
from tests.support.processes import ROOT, environment
from tests.support.servers import recreate_database

pytestmark = pytest.mark.slow


def test_the_short_mode_runs_and_prints_every_grouping(settings: Settings) -> None:
    assert settings.database_url is not None
    server = make_url(settings.database_url)
    # its own database beside the suite's, empty at each run: over a database left by an earlier run, the demo
    # seed adds nothing and prints an admin password that is not the one stored
    database = f"{server.database}_bench_analytics"
    asyncio.run(recreate_database(settings.database_url, database))
    env = environment(
        DATABASE_URL=server.set(database="postgres").render_as_string(hide_password=False),
        REDIS_URL=settings.redis_url,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.analytics", "--days", "2", "--repeat", "1", "--database", database],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout[done.stdout.index("{\n") :])
    assert report["days"] == 2
    assert report["trivial_ms"] > 0
    groupings = report["groupings"]
    asked = ["+".join(g.value for g in grouping) or "(totals)" for grouping in GROUPINGS]
    assert [row["group_by"] for row in groupings] == [*asked, "one office: MONTH", "one office: WEEKDAY+HOUR"]
    for row in groupings:
        assert row["http_ms"] > 0, row
        assert row["http_vs_trivial"] > 0, row
        # cold (nothing kept) and warm (kept by the worker's job or the first ask): the same answer
        assert row["warm_http_ms"] > 0, row
        assert row["same_answer"] is True, row
    assert all(row["sql_ms"] > 0 and row["warm_sql_ms"] > 0 for row in groupings[: len(asked)])
    assert report["precompute"]["answers"] > 0
    # two days of the demo city's simulated history: bookings, and more than one day's group by DAY
    assert groupings[0]["booked"] > 0
    assert next(row for row in groupings if row["group_by"] == "DAY")["rows"] == 2
    assert report["dashboard"]["three_requests_at_once_ms"] > 0
    assert report["dashboard"]["warm_three_requests_at_once_ms"] > 0
