"""Every figure of `stats` against values worked out by hand on a small fixed history (tests/support/analytics.py),
including office time zones at day boundaries and across a change to summer time, and the percentile
definition (percentile_cont: linear interpolation between the two nearest values)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType, build_schema
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.runtime import AppState
from jobs.analytics import refresh_recent_facts
from models.analytics import MEASURES
from resolvers.analytics.facts import COUNT_COLUMNS, COUNTS_OF_FACTS, refresh_facts
from schema.analytics.fields import MEASURE_FIELDS
from schema.root import schema
from tests.support.analytics import FixedCity, fixed_city
from tests.support.api import Api, statements
from tests.support.front_desk import front_desk, ticket_pk

FIGURES = """booked cancelled came noShows noShowRate walkIns served demand unmetSearches
    waitMedianMinutes waitP90Minutes serviceMedianMinutes serviceP90Minutes leadTimeMedianDays leadTimeP90Days
    ratingCount ratingAverage ratings estimateCount estimateMeanMinutes actualMeanMinutes estimateBiasMinutes
    estimateMeanAbsoluteErrorMinutes"""
STATS = f"""query($f: StatsFilterInput!, $g: [Grouping!]) {{ stats(filter: $f, groupBy: $g) {{ __typename
    ... on Stats {{ rows {{ total period weekday hour office {{ slug }} service {{ slug }} {FIGURES} }}
                   totals {{ total {FIGURES} }} }}
    ... on ValidationError {{ code field message }} ... on NotAllowed {{ code message }} }} }}"""

WEEK = {"from": "2026-03-09", "to": "2026-03-15"}


@pytest.fixture
async def city(api: Api, state: AppState, admin_token: str) -> FixedCity:
    return await fixed_city(api, state, admin_token)


async def stats(api: Api, token: str, group_by: list[str] | None = None, /, **filters: Any) -> dict[str, Any]:
    data = await api.run(STATS, {"f": filters, "g": group_by}, token)
    result: dict[str, Any] = data["stats"]
    return result


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and abs(actual - expected) < 1e-9


async def test_every_figure_of_one_week_at_one_office(api: Api, city: FixedCity, admin_token: str) -> None:
    result = await stats(api, admin_token, officeIds=[city.cordoba], **WEEK)
    assert result["__typename"] == "Stats", result
    totals = result["totals"]
    assert result["rows"] == []
    assert totals["total"] is True
    counts = {k: totals[k] for k in ("booked", "cancelled", "came", "noShows", "walkIns", "served", "demand")}
    assert counts == {
        "booked": 3,
        "cancelled": 1,
        "came": 2,
        "noShows": 1,
        "walkIns": 4,
        "served": 5,
        "demand": 7,
    }
    assert close(totals["noShowRate"], 1 / 3)
    # waits [5, 10, 12, 20, 20, 30]: median between 12 and 20; p90 at rank 0.9 * 5 = 4.5, between 20 and 30
    assert close(totals["waitMedianMinutes"], 16)
    assert close(totals["waitP90Minutes"], 25)
    # service times [6, 8, 10, 12, 20]: p90 at rank 3.6 = 12 + 0.6 * 8
    assert close(totals["serviceMedianMinutes"], 10)
    assert close(totals["serviceP90Minutes"], 16.8)
    # lead times of the bookings not cancelled [1, 3, 9] days: p90 at rank 1.8 = 3 + 0.8 * 6
    assert close(totals["leadTimeMedianDays"], 3)
    assert close(totals["leadTimeP90Days"], 7.8)
    assert totals["ratingCount"] == 3
    assert close(totals["ratingAverage"], 11 / 3)
    assert totals["ratings"] == [0, 1, 0, 1, 1]
    # announced 15, 5, 20 against 22, 10, 30 from issue to the first call
    assert totals["estimateCount"] == 3
    assert close(totals["estimateMeanMinutes"], 40 / 3)
    assert close(totals["actualMeanMinutes"], 62 / 3)
    assert close(totals["estimateBiasMinutes"], 22 / 3)
    assert close(totals["estimateMeanAbsoluteErrorMinutes"], 22 / 3)
    assert totals["unmetSearches"] == 0


async def test_days_in_the_office_zone_at_midnight(api: Api, city: FixedCity, admin_token: str) -> None:
    """The 23:30 appointment (02:30 UTC on the 11th) and its 23:40 ticket count on the 10th."""
    result = await stats(api, admin_token, ["DAY"], officeIds=[city.cordoba], **WEEK)
    rows = {row["period"]: row for row in result["rows"]}
    assert sorted(rows) == ["2026-03-10", "2026-03-11"]
    assert (rows["2026-03-10"]["booked"], rows["2026-03-10"]["cancelled"], rows["2026-03-10"]["served"]) == (3, 0, 5)
    assert (rows["2026-03-11"]["booked"], rows["2026-03-11"]["cancelled"], rows["2026-03-11"]["served"]) == (0, 1, 0)
    weekdays = await stats(api, admin_token, ["WEEKDAY"], officeIds=[city.cordoba], **WEEK)
    assert [(r["weekday"], r["booked"], r["cancelled"]) for r in weekdays["rows"]] == [(2, 3, 0), (3, 0, 1)]
    week = await stats(api, admin_token, ["WEEK"], officeIds=[city.cordoba], **WEEK)
    assert [(r["period"], r["booked"]) for r in week["rows"]] == [("2026-03-09", 3)]


async def test_hours_and_waits_by_hour(api: Api, city: FixedCity, admin_token: str) -> None:
    result = await stats(api, admin_token, ["HOUR"], officeIds=[city.cordoba], **WEEK)
    rows = {row["hour"]: row for row in result["rows"]}
    # the early arrival's ticket counts from 09:00, its appointment; the walk-ins at 10; the late pair at 23
    assert sorted(rows) == [9, 10, 23]
    assert (rows[9]["booked"], rows[9]["noShows"], rows[9]["served"], rows[9]["waitMedianMinutes"]) == (2, 1, 1, 12)
    ten = rows[10]
    assert (ten["walkIns"], ten["served"], ten["cancelled"]) == (4, 3, 1)
    # waits at 10 [5, 20, 20, 30]: median at rank 1.5 = 20; p90 at rank 2.7 = 20 + 0.7 * 10
    assert close(ten["waitMedianMinutes"], 20)
    assert close(ten["waitP90Minutes"], 27)
    assert (rows[23]["booked"], rows[23]["came"], rows[23]["waitMedianMinutes"]) == (1, 1, 10)
    assert result["totals"]["booked"] == 3


async def test_a_change_to_summer_time(api: Api, city: FixedCity, admin_token: str) -> None:
    """10:00 in Madrid is 09:00 UTC on the 28th and 08:00 UTC on the 29th: both are hour 10."""
    result = await stats(
        api,
        admin_token,
        ["DAY", "HOUR", "OFFICE"],
        officeIds=[city.madrid],
        **{"from": "2026-03-27", "to": "2026-03-30"},
    )
    keys = [(r["period"], r["hour"], r["office"]["slug"], r["booked"], r["noShows"]) for r in result["rows"]]
    assert keys == [("2026-03-28", 10, "madrid", 1, 0), ("2026-03-29", 10, "madrid", 1, 1)]


async def test_offices_and_services_of_the_whole_city(api: Api, city: FixedCity, admin_token: str) -> None:
    result = await stats(api, admin_token, ["OFFICE", "SERVICE"], **{"from": "2026-03-01", "to": "2026-03-31"})
    rows = [(r["office"]["slug"], r["service"]["slug"], r["booked"], r["walkIns"]) for r in result["rows"]]
    assert sorted(rows) == [("cordoba", "dni", 3, 4), ("madrid", "licence", 2, 0)]
    assert (result["totals"]["booked"], result["totals"]["noShows"], result["totals"]["came"]) == (5, 2, 3)
    by_service = await stats(
        api, admin_token, ["SERVICE"], serviceIds=[city.licence], **{"from": "2026-03-01", "to": "2026-03-31"}
    )
    assert [(r["service"]["slug"], r["booked"]) for r in by_service["rows"]] == [("licence", 2)]
    month = await stats(api, admin_token, ["MONTH"], **{"from": "2026-02-01", "to": "2026-04-30"})
    assert [(r["period"], r["booked"]) for r in month["rows"]] == [("2026-03-01", 5)]


async def test_each_group_holds_what_it_gives_asked_alone(api: Api, city: FixedCity, admin_token: str) -> None:
    """The counts and each measure's percentiles come from separate statements merged by group: every
    group's figures must be those of the same question asked for that group alone, and the totals those
    of the question without groups. The span starts mid-week and mid-month: a period covers only its part
    of the span."""
    span = {"from": "2026-03-10", "to": "2026-03-31"}
    whole = (await stats(api, admin_token, **span))["totals"]
    assert whole["booked"] == 5
    assert whole["waitMedianMinutes"] is not None
    offices = {"cordoba": city.cordoba, "madrid": city.madrid}
    services = {"dni": city.dni, "licence": city.licence}

    def alone(grouping: str, row: dict[str, Any]) -> dict[str, Any]:
        if grouping in ("DAY", "WEEK", "MONTH"):
            start = date.fromisoformat(row["period"])
            end = {"DAY": start, "WEEK": start + timedelta(days=6), "MONTH": date(2026, 3, 31)}[grouping]
            return {"from": max(start.isoformat(), span["from"]), "to": min(end.isoformat(), span["to"])}
        if grouping == "OFFICE":
            return {**span, "officeIds": [offices[row["office"]["slug"]]]}
        return {**span, "serviceIds": [services[row["service"]["slug"]]]}

    for grouping in ("DAY", "WEEK", "MONTH", "OFFICE", "SERVICE"):
        result = await stats(api, admin_token, [grouping], **span)
        assert result["totals"] == whole, grouping
        assert len(result["rows"]) >= 2 or grouping == "MONTH", (grouping, result["rows"])
        for row in result["rows"]:
            figures = {name: value for name, value in row.items() if name in whole}
            assert figures == {**(await stats(api, admin_token, **alone(grouping, row)))["totals"], "total": False}


async def test_only_the_percentiles_asked_for_are_worked_out(
    api: Api, city: FixedCity, admin_token: str, state: AppState
) -> None:
    """Each measure's percentiles sort all its values: a query that does not ask for them does not pay."""
    span = {"from": "2026-03-01", "to": "2026-03-31"}
    full = await stats(api, admin_token, ["OFFICE"], **span)

    async def asked(rows: str, totals: str) -> tuple[dict[str, Any], list[str]]:
        query = f"""query($f: StatsFilterInput!) {{ stats(filter: $f, groupBy: [OFFICE]) {{
            ... on Stats {{ rows {{ office {{ slug }} {rows} }} ... on Stats {{ totals {{ {totals} }} }} }} }} }}"""
        # no kept answer (resolvers/analytics/answers.py): the statements themselves, as a first ask runs them
        async with state.engine.begin() as conn:
            await conn.execute(text("DELETE FROM stats_answers"))
        with statements(state) as seen:
            result = (await api.run(query, {"f": span}, admin_token))["stats"]
        return result, [s for s in seen if "percentile_cont" in s]

    def of_all(statement: str) -> bool:  # whether it works out the totals too
        return "GROUPING SETS" in statement or "UNION ALL" in statement

    counts_only, sorted_ = await asked("booked", "booked")
    assert sorted_ == []
    assert counts_only["totals"] == {"booked": full["totals"]["booked"]}
    waits, sorted_ = await asked("waitMedianMinutes", "leadTimeP90Days")
    # the waits per office only; the lead times of all only; no service times
    assert sorted(("wait_seconds" in s, of_all(s)) for s in sorted_) == [(False, False), (True, False)]
    assert [r["waitMedianMinutes"] for r in waits["rows"]] == [r["waitMedianMinutes"] for r in full["rows"]]
    assert waits["totals"] == {"leadTimeP90Days": full["totals"]["leadTimeP90Days"]}
    both, sorted_ = await asked("waitP90Minutes", "waitMedianMinutes")
    assert [("wait_seconds" in s, of_all(s)) for s in sorted_] == [(True, True)]
    assert [r["waitP90Minutes"] for r in both["rows"]] == [r["waitP90Minutes"] for r in full["rows"]]
    assert both["totals"] == {"waitMedianMinutes": full["totals"]["waitMedianMinutes"]}


def test_every_measure_field_is_a_field_of_the_rows() -> None:
    row = build_schema(schema.as_str()).type_map["StatsRow"]
    assert isinstance(row, GraphQLObjectType)
    assert set().union(*MEASURE_FIELDS.values()) <= set(row.fields)
    assert {m.name for m in MEASURES} == set(MEASURE_FIELDS)


async def test_managers_read_their_offices_only(api: Api, city: FixedCity, admin_token: str) -> None:
    manager = await api.staff_token(admin_token, "manager", "MANAGER", city.cordoba)
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    own = await stats(api, manager, **march)
    assert own["__typename"] == "Stats"
    assert own["totals"]["booked"] == 3
    refused = await stats(api, manager, officeIds=[city.cordoba, city.madrid], **march)
    assert refused["__typename"] == "NotAllowed"
    clerk = await api.staff_token(admin_token, "clerk", "CLERK", city.cordoba)
    assert (await stats(api, clerk, **march))["__typename"] == "NotAllowed"
    anonymous = await api.run(STATS, {"f": march})
    assert anonymous["stats"]["__typename"] == "NotAllowed"


@pytest.mark.parametrize(
    ("filters", "group_by", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-09"}, None, "filter.to"),
        ({"from": "2025-01-01", "to": "2026-03-09"}, None, "filter.to"),
        ({"from": "2026-03-01", "to": "2026-03-09", "officeIds": ["999999"]}, None, "filter.officeIds"),
        ({"from": "2026-03-01", "to": "2026-03-09", "serviceIds": ["abc"]}, None, "filter.serviceIds.0"),
        ({"from": "2026-03-01", "to": "2026-03-09"}, ["DAY", "MONTH"], "groupBy"),
    ],
)
async def test_bad_filters_name_the_field(
    api: Api, admin_token: str, filters: dict[str, Any], group_by: list[str] | None, field: str
) -> None:
    result = await stats(api, admin_token, group_by, **filters)
    assert (result["__typename"], result["field"]) == ("ValidationError", field), result


async def test_the_refresh_writes_only_what_changed(city: FixedCity, state: AppState) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with state.engine.begin() as conn:
        assert await refresh_facts(conn, since) == 0
        await conn.execute(text("UPDATE bookings SET status = 'CANCELLED' WHERE status = 'NO_SHOW'"))
        assert await refresh_facts(conn, since) == 2
        assert await refresh_facts(conn, since) == 0


async def _counts_astray(conn: AsyncConnection) -> list[Any]:
    """The hourly counts that differ from the facts counted afresh, either way."""
    columns = f"office_id, service_id, local_date, local_hour, {', '.join(COUNT_COLUMNS)}"
    fresh = f"""SELECT office_id, service_id, local_date, local_hour, {COUNTS_OF_FACTS} FROM visit_facts
                GROUP BY office_id, service_id, local_date, local_hour"""
    kept = f"SELECT {columns} FROM visit_counts"
    rows = await conn.execute(text(f"({fresh} EXCEPT {kept}) UNION ALL ({kept} EXCEPT {fresh})"))
    return list(rows)


async def test_the_hourly_counts_follow_the_facts(city: FixedCity, state: AppState) -> None:
    """Also when a fact moves to another day: the day it left is counted again too."""
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with state.engine.begin() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM visit_counts"))).scalar_one() > 0
        assert await _counts_astray(conn) == []
        await conn.execute(
            text("""UPDATE bookings SET starts_at = starts_at + interval '3 days', ends_at = ends_at + interval '3 days'
                    WHERE id = (SELECT min(id) FROM bookings WHERE status = 'NO_SHOW')""")
        )
        await conn.execute(
            text("""UPDATE bookings SET status = 'CANCELLED'
                    WHERE id = (SELECT min(id) FROM bookings WHERE status IN ('CHECKED_IN', 'COMPLETED'))""")
        )
        assert await refresh_facts(conn, since) == 2
        assert await _counts_astray(conn) == []


async def test_today_is_current_without_waiting_for_the_job(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token, maxOccupancy=10)
    await front.issue()
    today = datetime.now(UTC).date()
    result = await stats(
        api, admin_token, **{"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    )
    assert result["totals"]["walkIns"] == 1


AVAILABILITY = """query($s: ID!, $o: ID, $f: Date!, $t: Date!) {
    availability(serviceId: $s, officeId: $o, from: $f, to: $t) { date } }"""
EARLIEST = "query($s: ID!) { earliestSlots(serviceId: $s) { id } }"


async def test_searches_that_found_nothing_are_unmet_demand(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token)
    other = await api.office(admin_token, slug="norte")
    service = front.services["dni"]
    today = datetime.now(UTC).date()
    days = {"f": str(today), "t": str(today + timedelta(days=6))}
    assert (await api.run(AVAILABILITY, {"s": service, "o": front.office_id, **days}))["availability"] == []
    assert (await api.run(AVAILABILITY, {"s": service, "o": front.office_id, **days}))["availability"] == []
    assert (await api.run(EARLIEST, {"s": service}))["earliestSlots"] == []
    await api.run(AVAILABILITY, {"s": "999999", "o": other, **days})  # no such service: not demand for anything
    window = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    everywhere = await stats(api, admin_token, ["OFFICE"], **window)
    # one address, one procedure, one day: one unit of unmet demand, however often it searched
    # (tests/protections/test_small_holes.py counts several addresses through a real server)
    assert [(r["office"] and r["office"]["slug"], r["unmetSearches"]) for r in everywhere["rows"]] == [("centro", 1)]
    manager = await api.staff_token(admin_token, "manager", "MANAGER", front.office_id)
    assert (await stats(api, manager, **window))["totals"]["unmetSearches"] == 1


LIVE = """query($o: ID!) { officeLive(officeId: $o) { __typename ... on OfficeLive {
    waiting longestWaitMinutes desksOpen desksTotal peopleInside maxOccupancy occupancyRate
    services { service { slug } waiting called serving longestWaitMinutes } }
    ... on UserError { code } } }"""


async def test_office_live(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token, services=("dni", "tasas"), maxOccupancy=10)
    first = await front.issue()
    await front.issue()
    await front.issue("tasas")
    async with state.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tickets SET issued_at = now() - interval '7 minutes', due_at = due_at - interval '7 minutes'"
                " WHERE id = :t"
            ),
            {"t": ticket_pk(first["id"])},
        )
    await front.call()  # the desk calls the earliest: the first dni ticket
    live = (await api.run(LIVE, {"o": front.office_id}, admin_token))["officeLive"]
    assert live["__typename"] == "OfficeLive", live
    assert (live["waiting"], live["peopleInside"], live["desksOpen"], live["desksTotal"]) == (2, 3, 1, 1)
    assert (live["maxOccupancy"], live["occupancyRate"]) == (10, 0.3)
    lines = {s["service"]["slug"]: (s["waiting"], s["called"]) for s in live["services"]}
    assert lines == {"dni": (1, 1), "tasas": (1, 0)}
    assert live["longestWaitMinutes"] is not None
    assert live["longestWaitMinutes"] < 7
    other = await api.office(admin_token, slug="norte")
    manager = await api.staff_token(admin_token, "manager", "MANAGER", other)
    assert (await api.run(LIVE, {"o": front.office_id}, manager))["officeLive"]["code"] == "NOT_ALLOWED"


async def test_the_worker_job_keeps_recent_facts(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token)
    ticket = await front.issue()
    assert await refresh_recent_facts({"turnero_state": state}) == {"changed": 1}
    await front.call()
    assert await refresh_recent_facts({"turnero_state": state}) == {"changed": 1}
    async with state.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT walk_in, wait_seconds FROM visit_facts WHERE kind = 'T' AND source_id = :t"),
                {"t": ticket_pk(ticket["id"])},
            )
        ).one()
    assert row.walk_in is True
    assert row.wait_seconds is not None
    assert await refresh_recent_facts({"turnero_state": state}) == {"changed": 0}


async def test_maximum_occupancy_is_set_kept_and_cleared(api: Api, admin_token: str) -> None:
    office_query = "query($o: ID!) { office(id: $o) { maxOccupancy } }"
    office = await api.office(admin_token, slug="sur", maxOccupancy=40)
    assert (await api.run(office_query, {"o": office}))["office"]["maxOccupancy"] == 40
    await api.office(admin_token, slug="sur")  # absent: kept
    assert (await api.run(office_query, {"o": office}))["office"]["maxOccupancy"] == 40
    await api.office(admin_token, slug="sur", maxOccupancy=0)  # 0: cleared
    assert (await api.run(office_query, {"o": office}))["office"]["maxOccupancy"] is None
    refused = await api.run(
        "mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename ... on ValidationError { field } } }",
        {"i": {"slug": "sur", "name": "Sur", "timezone": "America/Argentina/Cordoba", "maxOccupancy": -1}},
        admin_token,
    )
    assert refused["upsertOffice"] == {"__typename": "ValidationError", "field": "maxOccupancy"}


async def test_too_many_groups_are_refused(
    api: Api, city: FixedCity, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit is 20,000 groups; lowered here to 1 so the fixed history has too many."""
    monkeypatch.setattr("resolvers.analytics.stats.MAX_ROWS", 1)
    refused = await stats(api, admin_token, ["DAY", "HOUR"], officeIds=[city.cordoba], **WEEK)
    assert (refused["__typename"], refused["field"]) == ("ValidationError", "groupBy")
    assert (await stats(api, admin_token, [], officeIds=[city.cordoba], **WEEK))["totals"]["booked"] == 3


async def test_office_live_lists_only_procedures_with_something_happening(api: Api, admin_token: str) -> None:
    """Of three procedures: one served and done with today, one with somebody waiting, one untouched (left out)."""
    front = await front_desk(api, admin_token, services=("dni", "tasas", "pasaporte"))
    await front.issue("dni")
    called = await front.call()
    for move in ("startService", "completeTicket"):
        assert (await front.move(move, called["id"]))["__typename"] == "Ticket"
    await front.issue("tasas")

    live = (
        await api.run(
            LIVE.replace("longestWaitMinutes }", "longestWaitMinutes servedToday }"),
            {"o": front.office_id},
            admin_token,
        )
    )["officeLive"]

    lines = {s["service"]["slug"]: (s["waiting"], s["servedToday"]) for s in live["services"]}
    assert lines == {"tasas": (1, 0), "dni": (0, 1)}
    assert [s["service"]["slug"] for s in live["services"]] == ["tasas", "dni"]  # the longest line first
