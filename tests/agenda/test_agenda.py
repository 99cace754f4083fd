"""Agendas: every validation error names its field and writes nothing; overlaps are refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api


@pytest.fixture
async def place(api: Api, admin_token: str) -> dict[str, str]:
    return {"officeId": await api.office(admin_token), "serviceId": await api.service(admin_token)}


def agenda(place: dict[str, str], **change: Any) -> dict[str, Any]:
    return {
        **place,
        "weekdays": [1, 2, 3, 4, 5],
        "startTime": "08:00",
        "endTime": "12:00",
        "slotMinutes": 15,
        "capacity": 2,
        "validFrom": "2027-01-01",
        "validTo": None,
    } | change


async def agendas_stored(state: AppState) -> int:
    async with state.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM agendas"))).scalar_one())


async def test_an_agenda_is_stored_as_given(api: Api, admin_token: str, place: dict[str, str]) -> None:
    result = await api.agenda(admin_token, **agenda(place, weekdays=[5, 1, 1], validTo="2027-06-30"))
    listed = await api.run(
        "query($o: ID!) { agendas(officeId: $o) { id office { slug } service { slug } } }", {"o": place["officeId"]}
    )

    assert result == {
        "__typename": "Agenda",
        "id": result["id"],
        "weekdays": [1, 5],
        "startTime": "08:00",
        "endTime": "12:00",
        "slotMinutes": 15,
        "capacity": 2,
        "validFrom": "2027-01-01",
        "validTo": "2027-06-30",
    }
    assert listed["agendas"] == [{"id": result["id"], "office": {"slug": "centro"}, "service": {"slug": "dni"}}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [1, 8]}, "weekdays.1"),
        ({"weekdays": [0]}, "weekdays.0"),
        ({"startTime": "25:00"}, "startTime"),
        ({"endTime": "noon"}, "endTime"),
        ({"startTime": "12:00", "endTime": "08:00"}, "endTime"),
        ({"startTime": "08:00", "endTime": "08:00"}, "endTime"),
        ({"slotMinutes": 0}, "slotMinutes"),
        ({"slotMinutes": -15}, "slotMinutes"),
        ({"slotMinutes": 241}, "slotMinutes"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"validFrom": "2027-02-01", "validTo": "2027-01-31"}, "validTo"),
        ({"officeId": "999999"}, "officeId"),
        ({"officeId": "oficina"}, "officeId"),
        ({"serviceId": "999999"}, "serviceId"),
    ],
)
async def test_bad_agenda_names_the_field_and_writes_nothing(
    api: Api, admin_token: str, state: AppState, place: dict[str, str], change: dict[str, Any], field: str
) -> None:
    result = await api.agenda(admin_token, **agenda(place, **change))

    assert result["__typename"] == "ValidationError"
    assert (result["code"], result["field"]) == ("INVALID_INPUT", field)
    assert await agendas_stored(state) == 0


async def test_slot_as_long_as_the_agenda_is_accepted(api: Api, admin_token: str, place: dict[str, str]) -> None:
    result = await api.agenda(admin_token, **agenda(place, slotMinutes=240))

    assert result["__typename"] == "Agenda"


@pytest.mark.parametrize(
    ("second", "overlaps"),
    [
        ({"weekdays": [3], "startTime": "11:00", "endTime": "13:00"}, True),
        ({"weekdays": [6, 7]}, False),
        ({"startTime": "12:00", "endTime": "14:00"}, False),
        ({"validFrom": "2026-01-01", "validTo": "2026-12-31"}, False),
        ({"validFrom": "2026-01-01", "validTo": "2027-01-01"}, True),
    ],
)
async def test_overlapping_agendas_of_one_service_are_refused(
    api: Api, admin_token: str, state: AppState, place: dict[str, str], second: dict[str, Any], overlaps: bool
) -> None:
    await api.agenda(admin_token, **agenda(place))

    result = await api.agenda(admin_token, **agenda(place, **second))

    if overlaps:
        assert (result["__typename"], result["field"]) == ("ValidationError", "startTime")
        assert await agendas_stored(state) == 1
    else:
        assert result["__typename"] == "Agenda"
        assert await agendas_stored(state) == 2


async def test_another_service_may_share_the_hours(api: Api, admin_token: str, place: dict[str, str]) -> None:
    other = await api.service(admin_token, slug="licencia")
    await api.agenda(admin_token, **agenda(place))

    result = await api.agenda(admin_token, **agenda(place, serviceId=other))

    assert result["__typename"] == "Agenda"


async def test_only_managers_of_the_office_add_agendas(
    api: Api, admin_token: str, state: AppState, place: dict[str, str]
) -> None:
    other = await api.office(admin_token, slug="other")
    manager = await api.staff_token(admin_token, "manager.other", "MANAGER", other)

    denied = await api.agenda(manager, **agenda(place))
    anonymous = await api.agenda(None, **agenda(place))
    allowed = await api.agenda(manager, **agenda(place, officeId=other))

    assert denied["__typename"] == "NotAllowed"
    assert anonymous["__typename"] == "NotAllowed"
    assert allowed["__typename"] == "Agenda"
    assert await agendas_stored(state) == 1
