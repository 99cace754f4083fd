"""`stats` on a streaming read replica (DATABASE_READ_URL): today's facts are refreshed on the primary and the
figures read on the replica once it has replayed that refresh; while it lags (replay paused) they are read on
the primary, so a manager never sees figures older than the refresh their own request made. A real primary and
hot standby (tests/support/replication.py) behind a real `serve`, and `stats_rows` in this process; that the
replica answered is seen in its statistics (its reads of visit_facts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from core.runtime import AppState, open_state
from core.settings import Settings
from resolvers.analytics.facts import refresh_facts
from resolvers.analytics.stats import StatsQuery, StatsRowRecord, stats_rows
from tests.support.analytics import History
from tests.support.api import Api
from tests.support.booking import ZONE
from tests.support.replication import Pair, caught_up, pause_replay, resume_replay

pytestmark = pytest.mark.slow

TOTALS = """query($f: StatsFilterInput!) { stats(filter: $f) { __typename ... on Stats { totals { booked } } } }"""


@contextlib.asynccontextmanager
async def on_pair(pair: Pair, settings: Settings, name: str) -> AsyncIterator[AppState]:
    """The API's connections to both servers, named so that each server's pg_stat_activity shows them."""
    both = settings.model_copy(update={"database_url": pair.primary_url, "database_read_url": pair.replica_url})
    async with open_state(both, application_name=name) as state:
        yield state


async def ask(state: AppState, query: StatsQuery) -> StatsRowRecord:
    assert state.replica is not None
    async with state.engine.connect() as conn:
        async with contextlib.aclosing(stats_rows(conn, query, state.engine, replica=state.replica)) as found:
            rows = [row async for row in found]
    return rows[-1]


async def replica_scans(pair: Pair) -> int:
    """How often the replica has read visit_facts (table or index): only `stats`' statements read it there. A
    backend's counts reach the view when it ends (or within a second when idle): the states are closed first."""
    replica = await asyncpg.connect(pair.replica_url)
    try:
        scans: int = await replica.fetchval(
            "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables"
            " WHERE relname = 'visit_facts'"
        )
        return scans
    finally:
        await replica.close()


async def scans_grew(pair: Pair, since: int) -> bool:
    async with asyncio.timeout(5):
        while await replica_scans(pair) == since:  # noqa: ASYNC110 (the statistics announce nothing)
            await asyncio.sleep(0.1)
    return True


async def test_stats_read_the_replica_once_it_has_replayed_the_refresh_else_the_primary(
    pair: Pair, server: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http, on_pair(pair, settings, "stats-setup") as setup:
        api = Api(http)
        admin = await api.make_admin(setup)
        office_id = int(await api.office(admin, slug="stats-replica", timezone=ZONE))
        service_id = int(await api.service(admin, slug="stats-replica-dni"))
        today = datetime.now(ZoneInfo(ZONE)).date()
        yesterday = today - timedelta(days=1)

        async def appointment(day: str, hour: int) -> None:
            async with setup.engine.begin() as conn:
                await History(conn, office_id, service_id, ZONE).booking(
                    f"{day} {hour:02d}:00", made=f"{yesterday - timedelta(days=7)} 09:00", status="COMPLETED"
                )

        today_only = StatsQuery(today, today, [office_id], None, ())
        closed = StatsQuery(yesterday - timedelta(days=6), yesterday, [office_id], None, ())
        await appointment(str(today), 9)
        await appointment(str(yesterday), 9)
        async with setup.engine.begin() as conn:  # as the worker's job does
            await refresh_facts(conn, datetime.now(ZoneInfo(ZONE)) - timedelta(days=10))
        await caught_up(pair)

        # current: the refresh replayed within the wait, the figures read on the replica
        scans = await replica_scans(pair)
        async with on_pair(pair, settings, "stats-current") as state:
            assert (await ask(state, today_only)).booked == 1
            assert (await ask(state, closed)).booked == 1  # computed, and kept on the primary
        assert await scans_grew(pair, scans)

        await pause_replay(pair)
        try:
            # lagging: a booking of today the facts do not hold yet; the request's own refresh writes it on
            # the primary, the replica cannot replay it: the figures come from the primary, fresh
            await appointment(str(today), 10)
            # and a closed day's fact changed by the worker's refresh (which forgets the kept answer)
            await appointment(str(yesterday), 10)
            async with setup.engine.begin() as conn:
                await refresh_facts(conn, datetime.now(ZoneInfo(ZONE)) - timedelta(days=10))
            scans = await replica_scans(pair)
            async with on_pair(pair, settings, "stats-lagging") as state:
                assert (await ask(state, today_only)).booked == 2
                assert (await ask(state, closed)).booked == 2
            await asyncio.sleep(1.5)
            assert await replica_scans(pair) == scans  # nothing read on the replica
            # through the API as a manager's dashboard asks it
            found = await api.run(TOTALS, {"f": {"from": str(today), "to": str(today)}}, token=admin)
            assert found["stats"]["totals"]["booked"] == 2
        finally:
            await resume_replay(pair)
        await caught_up(pair)
        scans = await replica_scans(pair)
        async with on_pair(pair, settings, "stats-again") as state:
            assert (await ask(state, closed)).booked == 2  # the kept answer, computed on the primary
            assert (await ask(state, today_only)).booked == 2
        assert await scans_grew(pair, scans)
