"""The operations surface, through real `serve` processes: GraphiQL and introspection only with TURNERO_GRAPHIQL=1,
/metrics for loopback and private addresses (others need TURNERO_METRICS_TOKEN), and a scrape that runs no SQL.

Public addresses are played with X-Forwarded-For from 127.0.0.1, the proxy uvicorn trusts by default.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text

from core.metrics import JOB_FAILURES_KEY
from core.runtime import AppState
from core.settings import Settings
from tests.conftest import empty
from tests.operations.test_operations import metric
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

TOKEN = "scrape-token-of-the-city"
PUBLIC = {"X-Forwarded-For": "203.0.113.7"}
PRIVATE = {"X-Forwarded-For": "10.1.2.3"}
INTROSPECTION = {"query": "{ __schema { queryType { name } } }"}
TYPE_INTROSPECTION = {"query": '{ __type(name: "Office") { name } }'}


@pytest.fixture(scope="module")
async def production(settings: Settings, state: AppState) -> AsyncIterator[str]:
    """As deployed: no GraphiQL, a metrics token, the gauges refreshed rarely (so a test sees any SQL a scrape
    would run). Started on an empty database: its gauges, read once at start-up, are those of no data (module
    fixtures start before the per-test clean, after whatever test ran before on this worker)."""
    await empty(state)
    with serving(
        suite_environment(settings, TURNERO_METRICS_TOKEN=TOKEN, TURNERO_METRICS_REFRESH_SECONDS="3600")
    ) as base:
        yield base


@pytest.fixture
def demo(settings: Settings) -> Iterator[str]:
    """As the demo runs (GraphiQL on, no metrics token), refreshing its gauges twice a second; for one test at
    a time, so that its background SQL never overlaps the scrape test's watch."""
    with serving(suite_environment(settings, TURNERO_GRAPHIQL="1", TURNERO_METRICS_REFRESH_SECONDS="0.5")) as base:
        yield base


def test_introspection_and_graphiql_are_off_unless_asked_for(production: str, demo: str) -> None:
    refused = [httpx.post(f"{production}/graphql", json=body).json() for body in (INTROSPECTION, TYPE_INTROSPECTION)]
    typename = httpx.post(f"{production}/graphql", json={"query": "{ __typename }"}).json()
    ide = httpx.get(f"{production}/graphql", headers={"Accept": "text/html"})

    allowed = httpx.post(f"{demo}/graphql", json=INTROSPECTION).json()
    demo_ide = httpx.get(f"{demo}/graphql", headers={"Accept": "text/html"})

    for answer in refused:
        assert answer["data"] is None
        assert "introspection" in answer["errors"][0]["message"].lower()
    assert typename["data"] == {"__typename": "Query"}
    assert ide.status_code == 404
    assert allowed["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert demo_ide.status_code == 200
    assert "graphiql" in demo_ide.text.lower()


def test_metrics_answer_nearby_addresses_and_want_the_token_from_others(production: str) -> None:
    loopback = httpx.get(f"{production}/metrics")
    private = httpx.get(f"{production}/metrics", headers=PRIVATE)
    public = httpx.get(f"{production}/metrics", headers=PUBLIC)
    wrong = httpx.get(f"{production}/metrics", headers=PUBLIC | {"Authorization": "Bearer guess"})
    with_token = httpx.get(f"{production}/metrics", headers=PUBLIC | {"Authorization": f"Bearer {TOKEN}"})

    assert (loopback.status_code, private.status_code) == (200, 200)
    assert (public.status_code, wrong.status_code) == (401, 401)
    assert with_token.status_code == 200
    assert "turnero_outbox_messages" in with_token.text


async def test_a_scrape_runs_no_sql(production: str, state: AppState) -> None:
    async def last_statement_of_serve() -> object:
        async with state.engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT max(query_start) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = 'turnero'"
                )
            )
            return found.scalar_one()

    await asyncio.sleep(0.5)  # the refresh at start-up is over
    async with state.engine.connect() as conn:
        before = (await conn.execute(text("SELECT clock_timestamp()"))).scalar_one()
    async with httpx.AsyncClient(base_url=production) as http:
        scrapes = [await http.get("/metrics") for _ in range(20)]
    last = await last_statement_of_serve()

    assert {s.status_code for s in scrapes} == {200}
    assert metric(scrapes[-1].text, "turnero_outbox_messages", status="PENDING") == 0
    assert last is not None  # serve's backends are visible: the probe would have seen a scrape's statement
    assert last < before


async def test_gauges_follow_the_shared_state_by_themselves(demo: str, state: AppState) -> None:
    await state.redis.hset(JOB_FAILURES_KEY, "deliver_outbox", "3")  # type: ignore[misc]

    async with httpx.AsyncClient(base_url=demo) as http:
        no_token_configured = await http.get("/metrics", headers=PUBLIC)
        deadline = time.monotonic() + 5
        seen = None
        while time.monotonic() < deadline and seen != 3:
            seen = metric((await http.get("/metrics")).text, "turnero_job_failures", job="deliver_outbox")
            await asyncio.sleep(0.2)

    assert no_token_configured.status_code == 403
    assert seen == 3
