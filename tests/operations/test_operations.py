"""Operations: /metrics in Prometheus format, request ids in and out, JSON logs, the slow-operation log
(never with variables), and job failures counted for /metrics."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.logs import JsonFormatter, request_id_var
from core.runtime import AppState
from core.settings import Settings
from jobs.failures import counted
from realtime.live import LiveQueue
from server.app import create_app
from server.collector import YOUNG_THRESHOLD
from server.metrics import refresh_shared_gauges
from tests.support.api import Api
from tests.support.processes import ROOT, environment


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition text, or None when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
    return None


async def test_metrics_count_requests_operations_outbox_pool_and_job_failures(
    api: Api, client: httpx.AsyncClient, admin_token: str, state: AppState
) -> None:
    before = (await client.get("/metrics")).text
    stats_before = metric(before, "turnero_graphql_operations_total", type="query", field="offices", outcome="ok")
    await api.run("{ offices { id } }", token=admin_token)
    await api.run("{ offices { id } }", token=admin_token)

    async def failing_job(ctx: dict[str, Any]) -> None:
        raise RuntimeError("the job broke")

    with pytest.raises(RuntimeError):
        await counted(failing_job)({"redis": state.redis})
    await refresh_shared_gauges(state)  # what each serving process's background task does every 15 s

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    after = metric(body, "turnero_graphql_operations_total", type="query", field="offices", outcome="ok")
    assert after == (stats_before or 0) + 2
    assert metric(body, "turnero_http_requests_total", method="POST", route="/graphql", status="200") is not None
    assert metric(body, "turnero_graphql_operation_seconds_count", type="query", field="offices") is not None
    assert metric(body, "turnero_outbox_messages", status="PENDING") == 0
    assert metric(body, "turnero_job_failures", job="failing_job") == 1
    assert metric(body, "turnero_queue_subscribers") == 0
    assert metric(body, "turnero_db_pool_connections", state="size") == state.settings.db_pool_size


async def test_metrics_want_a_token_from_public_addresses(
    state: AppState, live_queue: LiveQueue, settings: Settings
) -> None:
    guarded = dataclasses.replace(state, settings=settings.model_copy(update={"metrics_token": "scrape-me"}))
    app = create_app(settings)
    app.state.turnero = guarded
    app.state.live_queue = live_queue
    public = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    private = httpx.ASGITransport(app=app, client=("10.20.30.40", 40000))
    async with httpx.AsyncClient(transport=private, base_url="http://t") as http:
        assert (await http.get("/metrics")).status_code == 200
    async with httpx.AsyncClient(transport=public, base_url="http://t") as http:
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})).status_code == 200


async def test_request_ids_come_back(client: httpx.AsyncClient) -> None:
    given = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "lb-42.a:b"})
    assert given.headers["x-request-id"] == "lb-42.a:b"
    # an id that is not a plain token is not echoed (nor logged): a fresh one replaces it
    odd = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "<script>x"})
    assert re.fullmatch(r"[0-9a-f]{16}", odd.headers["x-request-id"])
    fresh = await client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{16}", fresh.headers["x-request-id"])


@pytest.fixture
async def slow_client(state: AppState, live_queue: LiveQueue, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Every operation counts as slow (threshold 0 ms)."""
    app = create_app(settings)
    app.state.turnero = dataclasses.replace(state, settings=settings.model_copy(update={"slow_query_ms": 0}))
    app.state.live_queue = live_queue
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def test_slow_operations_are_logged_without_their_variables(
    slow_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await slow_client.post(
        "/graphql",
        json={
            "query": "mutation SignIn($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }",
            "variables": {"u": "someone", "p": "hunter2-very-secret"},
        },
        headers={"X-Request-ID": "req-slow-1"},
    )
    assert response.status_code == 200
    slow = [r for r in caplog.records if r.name == "turnero.slow"]
    assert len(slow) == 1
    line = json.loads(JsonFormatter().format(slow[0]))
    assert line["operation"] == "SignIn"
    assert line["root_fields"] == ["login"]
    assert line["type"] == "mutation"
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "req-slow-1"
    access = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "turnero.access"]
    assert access[-1]["route"] == "/graphql"
    assert access[-1]["status"] == 200
    assert access[-1]["request_id"] == "req-slow-1"
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "hunter2-very-secret" not in everything
    assert "someone" not in everything


def test_json_lines_carry_the_request_id_and_fields() -> None:
    token = request_id_var.set("abc")
    try:
        record = logging.getLogRecordFactory()("turnero.x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    finally:
        request_id_var.reset(token)
    record.duration_ms = 12.5
    line = json.loads(JsonFormatter().format(record))  # formatted later, outside the request
    assert line["message"] == "hello world"
    assert line["request_id"] == "abc"
    assert line["duration_ms"] == 12.5
    assert line["level"] == "INFO"


@pytest.mark.slow
@pytest.mark.parametrize(("tuning", "expected"), [("1", (YOUNG_THRESHOLD, True)), ("0", (700, False))])
def test_a_serving_process_tunes_its_garbage_collector_once_started(
    settings: Settings, tuning: str, expected: tuple[int, bool]
) -> None:
    """In a process of its own, as `serve` runs it: the application's start-up freezes what it built and
    raises the young generation's threshold; TURNERO_GC_TUNING=0 leaves Python's collector as it was."""
    started = """
import asyncio, gc, json
from server.app import create_app

async def main():
    app = create_app()
    async with app.router.lifespan_context(app):
        print(json.dumps([gc.get_threshold()[0], gc.get_freeze_count() > 0]))

asyncio.run(main())
"""
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_GC_TUNING=tuning,
    )
    done = subprocess.run(
        [sys.executable, "-c", started], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert tuple(json.loads(done.stdout.splitlines()[-1])) == expected
