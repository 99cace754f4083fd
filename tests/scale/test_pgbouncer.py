"""The booking path behind PgBouncer in transaction pooling mode (TURNERO_DB_POOLER=pgbouncer).

Two real `serve` processes, twenty connections each in their pools, share three server connections through
Debian's PgBouncer (tests/support/pgbouncer.py), so every transaction may land on a server connection another
client prepared statements on: the storm of parallel bookings and searches gets no error, sells exactly the
seats there are, and the migrations at start-up went to PostgreSQL itself (DATABASE_DIRECT_URL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import BOOK, ZONE, bookable_slots, citizen, scalar
from tests.support.pgbouncer import pgbouncer
from tests.support.processes import at_once, serving, suite_environment

pytestmark = pytest.mark.slow

SEARCH = """query($s: ID!, $o: ID!, $d: Date!) {
    availability(serviceId: $s, officeId: $o, from: $d, to: $d) { slots { id remaining } } }"""
SERVICES = """query($q: String) { services(search: $q) { id } }"""


@pytest.fixture(scope="module")
def pooled_servers(settings: Settings) -> Iterator[list[str]]:
    assert settings.database_url
    with pgbouncer(settings.database_url, pool_size=3) as through:
        env = suite_environment(
            settings,
            DATABASE_URL=through,
            DATABASE_DIRECT_URL=settings.database_url,
            TURNERO_DB_POOLER="pgbouncer",
        )
        with serving(env) as first, serving(env) as second:
            yield [first, second]


async def test_parallel_bookings_through_pgbouncer_sell_each_seat_once(
    pooled_servers: list[str], api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=4, slots_per_day=3, service_slug="pooled")
    service_id = str(await scalar(state, "SELECT id FROM services WHERE slug = 'pooled'"))
    tomorrow = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()
    office_id = str(await scalar(state, "SELECT id FROM offices WHERE slug = 'centro'"))
    search = {"query": SEARCH, "variables": {"s": service_id, "o": office_id, "d": tomorrow}}
    attempts = [
        {"query": BOOK, "variables": {"i": {"slotId": slots[n % 3], "citizen": citizen(f"3100{n:04d}")}}}
        for n in range(30)
    ]
    searches = [search] * 10
    catalogue = [{"query": SERVICES, "variables": {"q": "pooled"}}] * 4
    answers = await at_once(pooled_servers, attempts + searches + catalogue)

    outcomes = Counter(answer["__typename"] for answer in answers[: len(attempts)])
    assert outcomes == {"BookingConfirmation": 12, "SlotUnavailable": 18}, outcomes
    assert all(isinstance(answer, list) for answer in answers[len(attempts) :])
    sold = [await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot)) for slot in slots]
    assert sold == [4, 4, 4]
    rows = "SELECT count(*) FROM bookings WHERE slot_id = ANY(:ids) AND status = 'BOOKED'"
    assert await scalar(state, rows, ids=[int(slot) for slot in slots]) == 12

    # and the pooled servers go on answering after the storm: the sold-out day shows nothing
    after: list[object] = list(await at_once(pooled_servers, [search] * 2))
    assert after == [[], []]
