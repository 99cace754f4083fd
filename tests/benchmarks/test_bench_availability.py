"""bench.availability's plumbing in a short mode: both servers (cache off, cache on) answer every case on the
suite's database, and the report has its shape. Its speed is what the bench measures, not this test."""

from __future__ import annotations

import pytest

from bench.availability import WHOLE_CITY, measure
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import bookable_slots
from tests.support.processes import suite_environment

pytestmark = pytest.mark.slow

CASES = {"trivial", WHOLE_CITY, "availability_one_office_7d", "earliest_slots_10"}


async def test_the_availability_bench_measures_both_caches_beside_the_trivial_query(
    api: Api, admin_token: str, settings: Settings
) -> None:
    await bookable_slots(api, admin_token, capacity=2, slots_per_day=3)

    report = await measure(suite_environment(settings), seconds=0.5, concurrency=2, cache_seconds=5)

    assert report["offices_x_services"] == 1
    assert report["mean_slots_per_all_offices_answer"] == 3
    for mode in ("results", "results_cached"):
        assert set(report[mode]) == CASES
        for figures in report[mode].values():
            assert figures["requests"] > 0
            assert figures["throughput_vs_trivial"] > 0
        assert report[mode]["trivial"]["throughput_vs_trivial"] == 1
    assert set(report["whole_city_vs_trivial"]) == {"cache_off", "cache_on"}
    # one procedure asked over and over: the cached server served most of it from the cache, the other none
    assert report["results_cached"][WHOLE_CITY]["cache_hit_ratio"] > 0.5
    assert "cache_hit_ratio" not in report["results"][WHOLE_CITY]
