"""The release-morning bench in its short mode against two real `serve` processes: it runs to the end, its
citizens book what was released without a seat sold twice, and its report has the shape docs/performance.md
quotes. Its speed is what the bench measures, not this test."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import make_url

from bench.release import arguments, morning
from core.settings import Settings

pytestmark = pytest.mark.slow


async def test_a_short_release_morning_books_without_double_bookings(
    two_servers: list[str], admin_token: str, settings: Settings
) -> None:
    args = arguments(
        ["--citizens", "40", "--displays", "20", "--seats", "20", "--baseline-seconds", "0.5", "--arrival-seconds", "1"]
    )
    database_url = make_url(str(settings.database_url)).set(drivername="postgresql").render_as_string(False)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        report = await morning(two_servers, admin_token, database_url, args, progress)

    assert report["double_bookings"] == 0
    assert report["seats_released"] == 20  # a slot of 4 seats a day for five days
    # the database agrees with the citizens' own account; with twice as many citizens as seats, every seat goes
    # unless someone gave up after losing every race (then nobody saw the release sold out)
    assert report["booked_by_citizens"] == report["seats_sold"] > 0
    if "gave up" not in report["outcomes"]:
        assert report["seats_sold"] == report["seats_released"]
    assert set(report["outcomes"]) <= {"booked", "sold out", "gave up"}
    for step in ("availability", "hold", "book"):
        assert report["steps"][step]["count"] >= 1
        assert report["steps"][step]["p99_ms"] >= report["steps"][step]["p50_ms"] > 0
    assert report["screens"]["events"] >= 1
    assert report["screens"]["missed_deliveries"] == 0
    assert report["trivial_baseline"]["requests_per_s"] > 0
    assert report["requests_per_s_vs_trivial"] > 0
    assert report["serve_processes"] == 2
    answers = report["availability_answers"]
    assert set(answers) <= {"hit", "joined", "miss", "kept"}
    # every search of the burst went through the cache's extension on one process or the other
    assert 0 < answers.get("hit", 0) + answers.get("joined", 0) + answers.get("miss", 0)
    assert answers.get("kept", 0) <= answers.get("miss", 0)
