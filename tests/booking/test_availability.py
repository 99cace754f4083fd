"""What citizens see: availability per office and day, the soonest slots anywhere, and its SQL cost."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api, statements

ZONE = "America/Argentina/Cordoba"
AVAILABILITY = """query($s: ID!, $f: Date!, $t: Date!, $o: ID) {
  availability(serviceId: $s, from: $f, to: $t, officeId: $o) {
    date remaining office { slug name services { slug } }
    slots { id startsAt endsAt capacity remaining office { slug } service { slug offices { slug } } } } }"""
EARLIEST = """query($s: ID!, $l: Int!, $one: Boolean!, $near: GeoPointInput) {
  earliestSlots(serviceId: $s, limit: $l, onePerOffice: $one, near: $near) { startsAt remaining office { slug } } }"""


def tomorrow() -> date:
    return datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)


async def city(api: Api, token: str, service_id: str, offices: range, **agenda: Any) -> list[str]:
    ids = []
    for number in offices:
        office_id = await api.office(
            token, slug=f"office-{number:02d}", timezone=ZONE, latitude=-31.4 + number / 100, longitude=-64.18
        )
        fields = {
            "officeId": office_id,
            "serviceId": service_id,
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "startTime": "09:00",
            "endTime": "12:00",
            "slotMinutes": 60,
            "capacity": 2,
            "validFrom": tomorrow().isoformat(),
        } | agenda
        assert (await api.agenda(token, **fields))["__typename"] == "Agenda"
        ids.append(office_id)
    await api.release(token)
    return ids


async def test_availability_costs_the_same_statements_for_3_or_30_offices(
    api: Api, admin_token: str, state: AppState
) -> None:
    service_id = await api.service(admin_token, bookingWindowDays=30)
    week = {"s": service_id, "f": tomorrow().isoformat(), "t": (tomorrow() + timedelta(days=6)).isoformat()}
    await city(api, admin_token, service_id, range(3))

    with statements(state) as few:
        small = await api.run(AVAILABILITY, week)
    await city(api, admin_token, service_id, range(3, 30))
    with statements(state) as many:
        large = await api.run(AVAILABILITY, week)

    assert len(small["availability"]) == 3 * 7
    assert len(large["availability"]) == 30 * 7
    assert sum(len(day["slots"]) for day in large["availability"]) == 30 * 7 * 3
    # the slots, then one batch per loader: offices by id, services by office, services by id, offices by service,
    # and the services' translations (the api reads English: an office's services in the order of their names);
    # then the one that bounds how long the answer may be cached (schema/availability_cache.py: both are misses)
    assert len(few) == len(many) == 7, many


async def test_availability_groups_free_slots_by_office_and_local_day(
    api: Api, admin_token: str, state: AppState
) -> None:
    service_id = await api.service(admin_token, bookingWindowDays=30)
    first, _ = await city(api, admin_token, service_id, range(2))
    day = tomorrow()
    async with state.engine.begin() as conn:
        # one slot full, one partly taken: the full one disappears, the other shows what is left
        await conn.execute(
            text(
                "UPDATE slots SET booked = capacity WHERE starts_at = (SELECT min(starts_at) FROM slots"
                " WHERE office_id = :o)"
            ),
            {"o": int(first)},
        )
        await conn.execute(
            text(
                "UPDATE slots SET booked = 1 WHERE id = (SELECT max(id) FROM slots WHERE"
                " office_id = :o AND booked = 0 AND CAST(starts_at AT TIME ZONE :zone AS date) = :day)"
            ),
            {"o": int(first), "zone": ZONE, "day": day},
        )

    data = await api.run(AVAILABILITY, {"s": service_id, "f": day.isoformat(), "t": day.isoformat(), "o": first})

    [only] = data["availability"]
    assert only["date"] == day.isoformat()
    assert only["office"]["slug"] == "office-00"
    assert [s["startsAt"] for s in only["slots"]] == [f"{day}T10:00:00-03:00", f"{day}T11:00:00-03:00"]
    assert [s["remaining"] for s in only["slots"]] == [2, 1]
    assert only["remaining"] == 3
    assert only["slots"][0]["endsAt"] == f"{day}T11:00:00-03:00"
    assert only["slots"][0]["service"] == {"slug": "dni", "offices": [{"slug": "office-00"}, {"slug": "office-01"}]}


async def test_availability_hides_closed_and_out_of_window_slots(api: Api, admin_token: str, state: AppState) -> None:
    service_id = await api.service(admin_token, bookingWindowDays=30)
    await city(api, admin_token, service_id, range(1))
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE slots SET closed = true WHERE starts_at < now() + interval '2 days'"))
        await conn.execute(text("UPDATE services SET booking_window_days = 5"))

    data = await api.run(
        AVAILABILITY, {"s": service_id, "f": tomorrow().isoformat(), "t": (tomorrow() + timedelta(days=20)).isoformat()}
    )

    days = [date.fromisoformat(d["date"]) for d in data["availability"]]
    assert min(days) >= tomorrow() + timedelta(days=1)
    assert max(days) <= tomorrow() + timedelta(days=5)


async def test_availability_refuses_meaningless_ranges(api: Api) -> None:
    backwards = await api.post(AVAILABILITY, {"s": "1", "f": "2027-01-10", "t": "2027-01-01"})
    too_long = await api.post(AVAILABILITY, {"s": "1", "f": "2027-01-01", "t": "2028-01-01"})
    unknown = await api.run(AVAILABILITY, {"s": "999", "f": "2027-01-01", "t": "2027-01-02"})

    for response in (backwards, too_long):
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_REQUEST", "field": "to"}
    assert unknown == {"availability": []}


async def test_earliest_slots_across_offices(api: Api, admin_token: str, state: AppState) -> None:
    service_id = await api.service(admin_token, bookingWindowDays=30)
    offices = await city(api, admin_token, service_id, range(3))
    async with state.engine.begin() as conn:
        # office-00 is full tomorrow: its soonest free slot is the day after
        await conn.execute(
            text(
                "UPDATE slots SET booked = capacity WHERE office_id = :o AND starts_at < now() +"
                " interval '1 day' + (SELECT min(starts_at) - now() FROM slots)"
            ),
            {"o": int(offices[0])},
        )

    soonest = await api.run(EARLIEST, {"s": service_id, "l": 4, "one": False})
    per_office = await api.run(EARLIEST, {"s": service_id, "l": 10, "one": True})
    nearest = await api.run(
        EARLIEST, {"s": service_id, "l": 2, "one": False, "near": {"latitude": -31.38, "longitude": -64.18}}
    )

    day = tomorrow()
    assert soonest["earliestSlots"] == [
        {"startsAt": f"{day}T09:00:00-03:00", "remaining": 2, "office": {"slug": "office-01"}},
        {"startsAt": f"{day}T09:00:00-03:00", "remaining": 2, "office": {"slug": "office-02"}},
        {"startsAt": f"{day}T10:00:00-03:00", "remaining": 2, "office": {"slug": "office-01"}},
        {"startsAt": f"{day}T10:00:00-03:00", "remaining": 2, "office": {"slug": "office-02"}},
    ]
    assert [(s["office"]["slug"], s["startsAt"][:10]) for s in per_office["earliestSlots"]] == [
        ("office-01", str(day)),
        ("office-02", str(day)),
        ("office-00", str(day + timedelta(days=1))),
    ]
    assert [s["office"]["slug"] for s in nearest["earliestSlots"]] == ["office-02", "office-01"]


async def test_earliest_slots_limit_is_bounded(api: Api) -> None:
    response = await api.post(EARLIEST, {"s": "1", "l": 1000, "one": False})

    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "field": "limit"}
