"""`bench.fanout` in its short mode (20 subscribers, 2 rounds, every mode) on one and on two `serve` processes,
and with two subscriptions on each socket: that it runs, every message arrives in order (each subscription's),
and its report has the shape docs/performance.md quotes. How
fast the screens hear of a call is what the bench measures, not this."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from bench.fanout import MODES
from core.settings import Settings
from tests.support.processes import ROOT, environment
from tests.support.servers import recreate_database

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("api_processes", "per_socket"), [(1, 1), (2, 1), (1, 2)])
def test_the_short_mode_runs_every_mode_and_loses_nothing(
    settings: Settings, api_processes: int, per_socket: int
) -> None:
    assert settings.database_url is not None
    server = make_url(settings.database_url)
    database = f"{server.database}_bench_fanout"
    asyncio.run(recreate_database(settings.database_url, database))
    env = environment(
        DATABASE_URL=server.set(database="postgres").render_as_string(hide_password=False),
        REDIS_URL=settings.redis_url,
        TURNERO_BENCH_DATABASE=database,
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.fanout",
            "--short",
            "--api-processes",
            str(api_processes),
            "--per-socket",
            str(per_socket),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout[done.stdout.index("{\n") :])
    assert report["setup"]["api_processes"] == api_processes
    assert report["setup"]["subscriptions_per_socket"] == per_socket
    for mode in MODES:
        result = report[mode]["20"]
        assert result["subscribers"] == 20 * api_processes
        assert result["sockets"] == 20 * api_processes // per_socket
        assert result["messages_received"] == result["messages_expected"] == 2 * 20 * api_processes, result
        assert result["out_of_order"] == 0
        assert result["errors"] == []
        # (a message may beat the desk's own answer: then its latency from that answer is below zero)
        assert result["p99_ms"] >= result["p50_ms"]
        assert result["from_request_p99_ms"] >= result["from_request_p50_ms"] > 0
        assert result["seconds_to_open_all"] > 0
    assert set(report["over_direct"]) == set(MODES) - {"direct"}
