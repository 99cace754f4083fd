"""bench.pooler's plumbing in a short mode: both bursts run against real `serve` processes (one through a real
PgBouncer), sell exactly the seats there are, and the report has its shape. Its speed is what the bench measures,
not this test."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bench.pooler import compare
from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import bookable_slots
from tests.support.processes import suite_environment

pytestmark = pytest.mark.slow


async def test_the_pooler_bench_runs_both_bursts_and_reports_them(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    slots = [int(slot) for slot in await bookable_slots(api, admin_token, capacity=2, slots_per_day=3)]

    async def fresh_slots() -> tuple[list[int], int]:
        async with state.engine.begin() as conn:
            for table in ("booking_events", "outbox", "bookings"):
                await conn.execute(text(f"DELETE FROM {table}"))
            await conn.execute(text("UPDATE slots SET booked = 0"))
        return slots, 2 * len(slots)

    report = await compare(
        suite_environment(settings), fresh_slots, clients=3, attempts_per_seat=2, pool_size=2, rounds=1
    )

    assert [(burst["mode"], burst["double_bookings"]) for burst in report["bursts"]] == [
        ("direct", 0),
        ("pgbouncer", 0),
    ]
    for burst in report["bursts"]:
        assert burst["api"]["attempts"] == 12
        # attempts go to random slots: a slot may get fewer attempts than seats, never more bookings than seats
        assert 0 < burst["api"]["bookings"] <= 6
        assert sum(burst["api"]["outcomes"].values()) == 12
        assert burst["api"]["attempts_per_s"] > 0
    (ratio,) = report["pgbouncer_attempts_per_s_vs_direct"]
    assert ratio > 0
