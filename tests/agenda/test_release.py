"""Slot release: wall-clock slots in the office's zone across DST, closures, opening hours, idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api

AVAILABILITY = """query($s: ID!, $f: Date!, $t: Date!, $o: ID) {
    availability(serviceId: $s, from: $f, to: $t, officeId: $o) {
        date remaining office { slug } slots { startsAt endsAt capacity remaining } } }"""
CLOSURE = """mutation($i: ClosureInput!) { addClosure(input: $i) { __typename
    ... on Closure { date reason slotsClosed office { slug } } ... on ValidationError { field }
    ... on UserError { code } } }"""


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.isoweekday() % 7))


def next_last_sunday(month: int) -> date:
    """The next DST day of the EU (last Sunday of March or October) at least two days ahead."""
    soon = date.today() + timedelta(days=2)
    candidate = last_sunday(soon.year, month)
    return candidate if candidate >= soon else last_sunday(soon.year + 1, month)


def local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


async def setup(
    api: Api, token: str, zone: str, day: date, start: str, end: str, minutes: int, **office: Any
) -> tuple[str, str]:
    office_id = await api.office(token, slug="office", timezone=zone, **office)
    service_id = await api.service(token, slug="service", bookingWindowDays=730)
    result = await api.agenda(
        token,
        officeId=office_id,
        serviceId=service_id,
        weekdays=[day.isoweekday()],
        startTime=start,
        endTime=end,
        slotMinutes=minutes,
        capacity=1,
        validFrom=day.isoformat(),
        validTo=day.isoformat(),
    )
    assert result["__typename"] == "Agenda", result
    return office_id, service_id


async def slot_starts(state: AppState) -> list[str]:
    async with state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT starts_at, ends_at FROM slots ORDER BY starts_at"))
        return [f"{s.astimezone(UTC):%Y-%m-%d %H:%M}-{e.astimezone(UTC):%H:%M}" for s, e in rows]


async def test_spring_forward_skips_the_missing_hour(api: Api, admin_token: str, state: AppState) -> None:
    day = next_last_sunday(3)
    _, service_id = await setup(api, admin_token, "Europe/Madrid", day, "01:00", "04:00", 30)

    report = await api.release(admin_token)
    shown = await api.run(AVAILABILITY, {"s": service_id, "f": day.isoformat(), "t": day.isoformat()})

    assert report == {"__typename": "ReleaseReport", "created": 4, "unchanged": 0}
    assert await slot_starts(state) == [
        f"{day} 00:00-00:30",
        f"{day} 00:30-01:00",
        f"{day} 01:00-01:30",
        f"{day} 01:30-02:00",
    ]
    assert [s["startsAt"] for s in shown["availability"][0]["slots"]] == [
        f"{day}T01:00:00+01:00",
        f"{day}T01:30:00+01:00",
        f"{day}T03:00:00+02:00",
        f"{day}T03:30:00+02:00",
    ]


async def test_fall_back_gives_each_wall_clock_time_one_slot(api: Api, admin_token: str, state: AppState) -> None:
    day = next_last_sunday(10)
    eve = day - timedelta(days=1)
    _, service_id = await setup(api, admin_token, "Europe/Madrid", day, "01:00", "04:00", 30)

    report = await api.release(admin_token)
    shown = await api.run(AVAILABILITY, {"s": service_id, "f": day.isoformat(), "t": day.isoformat()})

    assert report["created"] == 6
    # 02:00 and 02:30 happen twice; their slot is at the second (standard time) occurrence
    assert await slot_starts(state) == [
        f"{eve} 23:00-23:30",
        f"{eve} 23:30-00:00",
        f"{day} 01:00-01:30",
        f"{day} 01:30-02:00",
        f"{day} 02:00-02:30",
        f"{day} 02:30-03:00",
    ]
    assert [s["startsAt"] for s in shown["availability"][0]["slots"]] == [
        f"{day}T01:00:00+02:00",
        f"{day}T01:30:00+02:00",
        f"{day}T02:00:00+01:00",
        f"{day}T02:30:00+01:00",
        f"{day}T03:00:00+01:00",
        f"{day}T03:30:00+01:00",
    ]
    assert shown["availability"][0]["date"] == day.isoformat()


async def test_cordoba_has_no_dst_and_is_three_hours_behind(api: Api, admin_token: str, state: AppState) -> None:
    # the same March and October Sundays, where Madrid changes clocks, are ordinary days in Córdoba
    days = [next_last_sunday(3), next_last_sunday(10)]
    office_id = await api.office(admin_token, slug="cordoba", timezone="America/Argentina/Cordoba")
    service_id = await api.service(admin_token, slug="service", bookingWindowDays=730)
    for day in days:
        await api.agenda(
            admin_token,
            officeId=office_id,
            serviceId=service_id,
            weekdays=[7],
            startTime="01:00",
            endTime="04:00",
            slotMinutes=60,
            capacity=1,
            validFrom=day.isoformat(),
            validTo=day.isoformat(),
        )

    report = await api.release(admin_token)

    assert report["created"] == 6
    assert await slot_starts(state) == [
        f"{day} {hour:02d}:00-{hour + 1:02d}:00" for day in sorted(days) for hour in (4, 5, 6)
    ]


async def test_release_is_idempotent_and_capped_by_the_booking_window(
    api: Api, admin_token: str, state: AppState
) -> None:
    zone = "America/Argentina/Cordoba"
    office_id = await api.office(admin_token, timezone=zone)
    service_id = await api.service(admin_token, bookingWindowDays=7)
    await api.agenda(
        admin_token,
        officeId=office_id,
        serviceId=service_id,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        startTime="00:00",
        endTime="23:59",
        slotMinutes=60,
        capacity=3,
        validFrom=(local_today(zone) - timedelta(days=3)).isoformat(),
    )

    first = await api.release(admin_token)
    second = await api.release(admin_token)

    async with state.engine.connect() as conn:
        last_day = (
            await conn.execute(text("SELECT max(starts_at AT TIME ZONE 'America/Argentina/Cordoba')::date FROM slots"))
        ).scalar_one()
        past = (await conn.execute(text("SELECT count(*) FROM slots WHERE starts_at <= now()"))).scalar_one()
    assert first["created"] > 0
    assert second == {"__typename": "ReleaseReport", "created": 0, "unchanged": first["created"]}
    assert last_day == local_today(zone) + timedelta(days=7)
    assert past == 0


async def test_until_releases_less_and_a_later_run_adds_the_rest(api: Api, admin_token: str) -> None:
    zone = "America/Argentina/Cordoba"
    office_id = await api.office(admin_token, timezone=zone)
    service_id = await api.service(admin_token, bookingWindowDays=10)
    start = local_today(zone) + timedelta(days=1)
    await api.agenda(
        admin_token,
        officeId=office_id,
        serviceId=service_id,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        startTime="09:00",
        endTime="11:00",
        slotMinutes=60,
        capacity=1,
        validFrom=start.isoformat(),
    )

    partial = await api.release(admin_token, office_id, until=(start + timedelta(days=2)).isoformat())
    rest = await api.release(admin_token, office_id)

    assert partial == {"__typename": "ReleaseReport", "created": 6, "unchanged": 0}
    assert rest == {"__typename": "ReleaseReport", "created": 14, "unchanged": 6}


async def test_opening_hours_and_partial_slots(api: Api, admin_token: str, state: AppState) -> None:
    day = local_today("America/Argentina/Cordoba") + timedelta(days=3)
    hours = [
        {"weekday": day.isoweekday(), "opens": "08:00", "closes": "10:00"},
        {"weekday": day.isoweekday(), "opens": "11:00", "closes": "12:30"},
    ]
    await setup(api, admin_token, "America/Argentina/Cordoba", day, "08:00", "12:30", 40, openingHours=hours)

    await api.release(admin_token)

    # local 08:00, 08:40, 09:20 (ends 10:00, fits); 10:00 and 10:40 fall outside opening hours; 11:20;
    # no 12:00 slot, it would end after the agenda (12:30). Córdoba is UTC-3.
    assert await slot_starts(state) == [
        f"{day} 11:00-11:40",
        f"{day} 11:40-12:20",
        f"{day} 12:20-13:00",
        f"{day} 14:20-15:00",
    ]


async def test_a_closure_before_release_gives_that_day_no_slots(api: Api, admin_token: str, state: AppState) -> None:
    day = local_today("America/Argentina/Cordoba") + timedelta(days=4)
    office_id, _ = await setup(api, admin_token, "America/Argentina/Cordoba", day, "09:00", "10:00", 30)

    closure = (
        await api.run(
            CLOSURE, {"i": {"officeId": office_id, "date": day.isoformat(), "reason": "Feriado"}}, admin_token
        )
    )["addClosure"]
    report = await api.release(admin_token)

    assert closure == {
        "__typename": "Closure",
        "date": day.isoformat(),
        "reason": "Feriado",
        "slotsClosed": 0,
        "office": {"slug": "office"},
    }
    assert report["created"] == 0
    assert await slot_starts(state) == []


async def test_a_closure_after_release_closes_that_days_slots(api: Api, admin_token: str) -> None:
    zone = "America/Argentina/Cordoba"
    office_id = await api.office(admin_token, timezone=zone)
    other_id = await api.office(admin_token, slug="other", timezone="Europe/Madrid")
    service_id = await api.service(admin_token, bookingWindowDays=20)
    start = local_today(zone) + timedelta(days=2)
    for office in (office_id, other_id):
        await api.agenda(
            admin_token,
            officeId=office,
            serviceId=service_id,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            startTime="09:00",
            endTime="12:00",
            slotMinutes=60,
            capacity=1,
            validFrom=start.isoformat(),
        )
    await api.release(admin_token)
    closed_day, holiday = start + timedelta(days=1), start + timedelta(days=3)

    local = (await api.run(CLOSURE, {"i": {"officeId": office_id, "date": closed_day.isoformat()}}, admin_token))[
        "addClosure"
    ]
    everywhere = (
        await api.run(CLOSURE, {"i": {"date": holiday.isoformat(), "reason": "Feriado nacional"}}, admin_token)
    )["addClosure"]
    shown = await api.run(
        AVAILABILITY, {"s": service_id, "f": start.isoformat(), "t": (start + timedelta(days=4)).isoformat()}
    )

    assert (local["slotsClosed"], everywhere["slotsClosed"], everywhere["office"]) == (3, 6, None)
    days = {(d["office"]["slug"], d["date"]) for d in shown["availability"]}
    assert ("office", closed_day.isoformat()) not in days
    assert ("other", closed_day.isoformat()) in days
    assert not any(day == holiday.isoformat() for _, day in days)
    assert len(days) == 2 * 5 - 1 - 2


async def test_closure_rules(api: Api, admin_token: str, state: AppState) -> None:
    office_id = await api.office(admin_token)
    manager = await api.staff_token(admin_token, "manager.x", "MANAGER", office_id)
    future = (date.today() + timedelta(days=5)).isoformat()

    past = (await api.run(CLOSURE, {"i": {"officeId": office_id, "date": "2020-01-01"}}, admin_token))["addClosure"]
    unknown = (await api.run(CLOSURE, {"i": {"officeId": "999", "date": future}}, admin_token))["addClosure"]
    global_by_manager = (await api.run(CLOSURE, {"i": {"date": future}}, manager))["addClosure"]
    own_by_manager = (await api.run(CLOSURE, {"i": {"officeId": office_id, "date": future}}, manager))["addClosure"]
    again = (await api.run(CLOSURE, {"i": {"officeId": office_id, "date": future, "reason": "Paro"}}, manager))[
        "addClosure"
    ]

    assert past == {"__typename": "ValidationError", "field": "date", "code": "INVALID_INPUT"}
    assert unknown == {"__typename": "ValidationError", "field": "officeId", "code": "INVALID_INPUT"}
    assert global_by_manager == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    assert own_by_manager["__typename"] == "Closure"
    assert again["reason"] == "Paro"
    async with state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM closures"))).scalar_one() == 1


async def test_managers_release_only_their_office(api: Api, admin_token: str) -> None:
    own = await api.office(admin_token, slug="own")
    other = await api.office(admin_token, slug="other")
    manager = await api.staff_token(admin_token, "manager.own", "MANAGER", own)

    assert (await api.release(manager, own))["__typename"] == "ReleaseReport"
    assert (await api.release(manager, other))["__typename"] == "NotAllowed"
    assert (await api.release(manager))["__typename"] == "NotAllowed"
    assert (await api.release(admin_token, "12345"))["__typename"] == "ValidationError"
