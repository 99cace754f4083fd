"""Kept answers (resolvers/analytics/answers.py): a period of closed days is answered whole from
stats_answers once computed, with exactly the figures the statements give; a facts refresh that changes a fact
of one of its days deletes it, so the next answer shows the change; an answer computed across such a refresh
is not kept; the worker's job computes the dashboard's spans ahead; a period that reaches an open day is never
kept."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from jobs.analytics import precompute_stats
from resolvers.analytics import answers
from resolvers.analytics.facts import refresh_facts
from resolvers.analytics.stats import EVERY_MEASURE, Grouping, Scope, StatsQuery, StatsRowRecord, stats_rows
from tests.analytics.test_stats_percentiles import DAYS, FIRST, facts  # noqa: F401 (a fixture)
from tests.support.analytics import FixedCity, fixed_city
from tests.support.api import Api

GROUPINGS = [
    (),
    (Grouping.DAY,),
    (Grouping.WEEK,),
    (Grouping.MONTH, Grouping.OFFICE),
    (Grouping.WEEKDAY, Grouping.HOUR),
    (Grouping.OFFICE, Grouping.HOUR),
    (Grouping.OFFICE, Grouping.SERVICE),
    (Grouping.SERVICE, Grouping.DAY, Grouping.HOUR),
]


async def ask(
    state: AppState, query: StatsQuery, asked: Mapping[str, Scope] = EVERY_MEASURE, limit: int | None = None
) -> list[StatsRowRecord]:
    async with state.engine.connect() as conn:
        async with contextlib.aclosing(stats_rows(conn, query, state.engine, limit, asked)) as found:
            return [row async for row in found]


async def kept(state: AppState) -> list[Any]:
    async with state.engine.connect() as conn:
        return list(await conn.execute(text("SELECT date_from, date_to, scopes FROM stats_answers ORDER BY 1, 2")))


async def forget(state: AppState) -> None:
    async with state.engine.begin() as conn:
        await answers.forget_answers(conn)


@pytest.mark.parametrize("group_by", GROUPINGS)
@pytest.mark.usefixtures("facts")
async def test_a_kept_answer_is_the_computed_one(state: AppState, group_by: tuple[Grouping, ...]) -> None:
    query = StatsQuery(FIRST, FIRST + timedelta(days=DAYS - 1), None, None, group_by)
    computed = await ask(state, query)
    assert len(await kept(state)) == 1
    # the facts gone behind the refresh's back: only the kept answer can still give the figures
    async with state.engine.begin() as conn:
        await conn.execute(text("DELETE FROM visit_facts"))
        await conn.execute(text("DELETE FROM visit_counts"))
    served = await ask(state, query)
    assert served == computed
    assert computed[-1].total
    assert computed[-1].booked > 0
    # a narrower question from the kept answer: what the statements would give for it
    narrower = {"wait": Scope.GROUPS, "lead": Scope.TOTALS}
    from_kept = await ask(state, query, narrower)
    assert all(r.service_median_minutes is None and r.service_p90_minutes is None for r in from_kept)
    assert all((r.lead_time_median_days is None) != r.total for r in from_kept if r.booked)
    assert from_kept[-1].wait_median_minutes is None
    assert [r.booked for r in from_kept] == [r.booked for r in computed]


@pytest.mark.parametrize("group_by", GROUPINGS)
@pytest.mark.usefixtures("facts")
async def test_answers_with_and_without_the_kept_one_are_identical(
    state: AppState, group_by: tuple[Grouping, ...]
) -> None:
    query = StatsQuery(FIRST, FIRST + timedelta(days=DAYS - 1), None, None, group_by)
    narrower = {"wait": Scope.GROUPS_AND_TOTALS, "service": Scope.TOTALS}
    for asked in (EVERY_MEASURE, narrower):
        await forget(state)
        computed = await ask(state, query, asked)
        assert await ask(state, query, asked) == computed  # the second from stats_answers
    # the narrower question answered from the whole one kept, and computed alone
    await forget(state)
    await ask(state, query)
    from_whole = await ask(state, query, narrower)
    await forget(state)
    assert from_whole == await ask(state, query, narrower)


@pytest.fixture
async def city(api: Api, state: AppState, admin_token: str) -> FixedCity:
    return await fixed_city(api, state, admin_token)


MARCH_10 = StatsQuery(date(2026, 3, 10), date(2026, 3, 10), None, None, ())
MARCH = StatsQuery(date(2026, 3, 1), date(2026, 3, 31), None, None, (Grouping.DAY,))
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


async def refresh(state: AppState) -> int:
    """As the worker's nightly job does."""
    async with state.engine.begin() as conn:
        return await refresh_facts(conn, SINCE)


@pytest.mark.usefixtures("city")
async def test_a_changed_fact_of_a_closed_day_shows_in_the_next_answer(state: AppState) -> None:
    before_day, before_month = await ask(state, MARCH_10), await ask(state, MARCH)
    march_28 = StatsQuery(date(2026, 3, 28), date(2026, 3, 28), None, None, ())
    await ask(state, march_28)
    assert len(await kept(state)) == 3
    # an appointment of the 10th marked as a no-show late (the worker's nightly refresh)
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""UPDATE bookings SET status = 'NO_SHOW' WHERE id = (
                        SELECT min(id) FROM bookings WHERE status = 'COMPLETED'
                          AND starts_at < '2026-03-11 03:00+00')""")
        )
    assert await refresh(state) > 0
    # the answers holding the 10th are gone; the 28th's stays
    assert [(r.date_from, r.date_to) for r in await kept(state)] == [(date(2026, 3, 28), date(2026, 3, 28))]
    after_day, after_month = await ask(state, MARCH_10), await ask(state, MARCH)
    assert (after_day[-1].came, after_day[-1].no_shows) == (before_day[-1].came - 1, before_day[-1].no_shows + 1)
    assert after_month[-1].no_shows == before_month[-1].no_shows + 1
    # a rating given days later changes the ratings of the 10th
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""INSERT INTO feedback (ticket_id, office_id, service_id, token_nonce, token_hash, rating,
                                          submitted_at)
                    SELECT t.id, t.office_id, t.service_id, '\\x00'::bytea, '\\x01'::bytea, 1, now()
                    FROM tickets t LEFT JOIN feedback f ON f.ticket_id = t.id
                    WHERE t.status = 'DONE' AND f.ticket_id IS NULL ORDER BY t.id LIMIT 1""")
        )
    assert await refresh(state) > 0
    rated = await ask(state, MARCH_10)
    assert rated[-1].rating_count == after_day[-1].rating_count + 1
    assert rated[-1].ratings[0] == after_day[-1].ratings[0] + 1
    # nothing changed: nothing forgotten
    assert await refresh(state) == 0
    assert len(await kept(state)) == 2


@pytest.mark.usefixtures("city")
async def test_an_answer_computed_across_a_changing_refresh_is_not_kept(state: AppState) -> None:
    async with state.engine.connect() as conn:
        generation = await answers.read_generation(conn)
    rows = await ask(state, MARCH_10)
    await forget(state)
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET status = 'CANCELLED' WHERE status = 'NO_SHOW'"))
    assert await refresh(state) > 0
    assert not await answers.keep_answer(state.engine, MARCH_10, EVERY_MEASURE, rows, generation)
    assert await kept(state) == []
    async with state.engine.connect() as conn:
        now = await answers.read_generation(conn)
    assert now > generation
    assert await answers.keep_answer(state.engine, MARCH_10, EVERY_MEASURE, await ask(state, MARCH_10), now)


@pytest.mark.usefixtures("city")
async def test_a_period_that_reaches_an_open_day_is_never_kept(state: AppState) -> None:
    today = datetime.now(UTC).date()
    for last in (today + timedelta(days=1), today, today + timedelta(days=30)):
        await ask(
            state, StatsQuery(date(2026, 3, 1), min(last, date(2026, 3, 1) + timedelta(days=365)), None, None, ())
        )
    assert await kept(state) == []


@pytest.mark.usefixtures("city")
async def test_an_answer_cut_at_its_limit_is_not_kept(state: AppState) -> None:
    cut = await ask(state, MARCH, limit=1)
    assert len(cut) == 2  # one group and the totals
    assert await kept(state) == []


@pytest.mark.usefixtures("city")
async def test_the_worker_computes_the_dashboard_spans_ahead(state: AppState) -> None:
    ctx = {"turnero_state": state}
    due = len(answers.AHEAD_SPANS_DAYS) * len(answers.AHEAD_GROUPINGS)
    assert await precompute_stats(ctx) == {"computed": due}
    assert len(await kept(state)) == due
    assert await precompute_stats(ctx) == {"computed": 0}
    async with state.engine.connect() as conn:
        periods = answers.ahead_periods(await answers.first_open_day(conn))
    # what a manager's request now gets is what the statements give
    for date_from, date_to in periods:
        for group_by in answers.AHEAD_GROUPINGS:
            query = StatsQuery(date_from, date_to, None, None, group_by)
            served = await ask(state, query)
            async with state.engine.begin() as conn:
                await conn.execute(text("DELETE FROM stats_answers"))
            assert served == await ask(state, query), (date_from, date_to, group_by)
    # a refresh that changes a fact of a day they hold forgets them; the job computes them again
    async with state.engine.begin() as conn:
        await conn.execute(text("DELETE FROM stats_answers"))
    assert await precompute_stats(ctx) == {"computed": due}
