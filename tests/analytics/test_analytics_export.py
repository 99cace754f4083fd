"""The CSV export runs the stats operation itself (same figures, same refusals); a desk's day sheet as
CSV and as a calendar file, in the office's local day."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from core.runtime import AppState
from tests.support.analytics import FixedCity, fixed_city
from tests.support.api import Api
from tests.support.front_desk import add_desk


@pytest.fixture
async def city(api: Api, state: AppState, admin_token: str) -> FixedCity:
    return await fixed_city(api, state, admin_token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_stats_csv_has_the_same_figures(client: httpx.AsyncClient, city: FixedCity, admin_token: str) -> None:
    params = {"from": "2026-03-09", "to": "2026-03-15", "groupBy": "HOUR", "officeIds": city.cordoba}
    response = await client.get("/analytics/stats.csv", params=params, headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["total"], r["hour"], r["booked"], r["walk_ins"]) for r in rows] == [
        ("", "9", "2", "0"),
        ("", "10", "0", "4"),
        ("", "23", "1", "0"),
        ("TOTAL", "", "3", "4"),
    ]
    assert float(rows[1]["wait_p90_minutes"]) == pytest.approx(27)
    assert float(rows[3]["wait_median_minutes"]) == pytest.approx(16)
    assert rows[3]["no_show_rate"].startswith("0.333")
    assert {r["office"] for r in rows[:3]} == {""}  # not grouped by office: no office column filled


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2026-03-09", "to": "tomorrow"}, 400, "to"),
        ({"from": "2026-03-09", "to": "2026-03-08"}, 400, "filter.to"),
        ({"from": "2026-03-09", "to": "2026-03-10", "groupBy": "YEAR"}, 400, "groupBy"),
        ({"from": "2026-03-09", "to": "2026-03-10", "officeIds": "999999"}, 400, "filter.officeIds"),
    ],
)
async def test_stats_csv_refuses_bad_filters(
    client: httpx.AsyncClient, admin_token: str, params: dict[str, str], status: int, field: str
) -> None:
    response = await client.get("/analytics/stats.csv", params=params, headers=bearer(admin_token))
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


async def test_stats_csv_wants_a_manager(
    client: httpx.AsyncClient, api: Api, city: FixedCity, admin_token: str
) -> None:
    week = {"from": "2026-03-09", "to": "2026-03-15"}
    assert (await client.get("/analytics/stats.csv", params=week)).status_code == 403
    assert (await client.get("/analytics/stats.csv", params=week, headers=bearer("ts_nonsense"))).status_code == 401
    manager = await api.staff_token(admin_token, "manager", "MANAGER", city.cordoba)
    refused = await client.get(
        "/analytics/stats.csv", params={**week, "officeIds": city.madrid}, headers=bearer(manager)
    )
    assert refused.status_code == 403
    own = await client.get("/analytics/stats.csv", params={**week, "groupBy": "office"}, headers=bearer(manager))
    assert [r["office"] for r in csv.DictReader(io.StringIO(own.text))] == ["Office cordoba", ""]


async def test_a_desks_day_sheet(client: httpx.AsyncClient, api: Api, city: FixedCity, admin_token: str) -> None:
    desk = await add_desk(api, admin_token, city.cordoba, "Box 1", [city.dni])
    clerk = await api.staff_token(admin_token, "clerk", "CLERK", city.cordoba)
    sheet = await client.get(f"/analytics/desks/{desk}/2026-03-10.csv", headers=bearer(clerk))
    assert sheet.status_code == 200
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    # local times; the 23:30 appointment is this day's, the one cancelled on the 11th is not
    assert [(r["start"], r["status"], r["ticket"] != "") for r in rows] == [
        ("09:00", "COMPLETED", True),
        ("09:00", "NO_SHOW", False),
        ("23:30", "COMPLETED", True),
    ]
    calendar = await client.get(f"/analytics/desks/{desk}/2026-03-10.ics", headers=bearer(clerk))
    assert calendar.status_code == 200
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    body = calendar.text
    assert body.count("BEGIN:VEVENT") == 3
    assert "DTSTART;TZID=America/Argentina/Cordoba:20260310T233000" in body
    assert body.count("BEGIN:VTIMEZONE") == 1
    other = await api.staff_token(admin_token, "madrid-clerk", "CLERK", city.madrid)
    assert (await client.get(f"/analytics/desks/{desk}/2026-03-10.csv", headers=bearer(other))).status_code == 403
    missing = await client.get("/analytics/desks/999999/2026-03-10.csv", headers=bearer(clerk))
    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "deskId"
