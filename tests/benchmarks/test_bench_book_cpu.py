"""bench.book_cpu in a short mode on the suite's database: it runs, every booking is made, and its report has
the shape docs/performance.md quotes (its figures are what the bench measures, not this test); the round trips
it counts are the book path's."""

from __future__ import annotations

from bench.book_cpu import measure
from core.settings import Settings


async def test_a_short_run_reports_the_cpu_of_a_booking_beside_the_trivial_query(settings: Settings) -> None:
    report = await measure(settings, bookings=8, trivial=8, concurrency=4, profile=True)

    assert report["outcomes"] == {"BookingConfirmation": 8}
    assert report["booking_cpu_ms"] > 0
    assert report["trivial_cpu_ms"] > 0
    assert report["booking_in_trivial_queries"] == round(report["booking_cpu_ms"] / report["trivial_cpu_ms"], 2)
    # one person's booking: the slot, then book_one, outside a transaction (tests/booking/test_book_one_call.py)
    assert report["statements_per_booking"] == 2
    assert report["postgres_round_trips_per_booking"] >= 2
    # the booking rate limit, the challenge's free pass, and the availability version bumped after the booking
    assert 2 <= report["redis_round_trips_per_booking"] <= 3
    assert report["refused_cpu_ms"] > 0
    assert report["refused_in_trivial_queries"] == round(report["refused_cpu_ms"] / report["trivial_cpu_ms"], 2)
    assert report["profiled_booking_cpu_ms"] > 0
    assert report["cpu_by_package"]
    assert all(0 <= share <= 1 for share in report["cpu_by_package"].values())
