"""Release draws (issue 14 part 4), through two real `serve` processes and the draw job: seats released under DRAW
stay hidden while entries are taken, the draw is reproducible from its logged seed, each person gets at most one
seat that suits them, the rest go to the waitlist with the same preferences, and what is left is sold first come."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.draws import run_draws
from notifications.outbox import OutboxRow
from resolvers.draws.assignment import assign
from resolvers.draws.replay import inputs, replay
from resolvers.outbox.mail import compose
from tests.conftest import TESTS_MAX_QUERY_COST
from tests.support.api import Api
from tests.support.booking import BOOK, ZONE, scalar
from tests.support.holds import HOLD
from tests.support.processes import at_once, main_py, serving, suite_environment

pytestmark = pytest.mark.slow

PER_ADDRESS = 4
ENTER = """mutation($i: DrawEntryInput!) { enterDraw(input: $i) { __typename
    ... on DrawEntry { id status manageToken drawClosesAt }
    ... on ValidationError { field message }
    ... on InvalidState { reason at message }
    ... on UserError { code message } } }"""
ENTRY = """query($id: ID!, $t: String!) { drawEntry(id: $id, manageToken: $t) {
    id status manageToken bookingCode slot { id } waitlistEntry { id status position } } }"""
WITHDRAW = """mutation($id: ID!, $t: String!) { withdrawDrawEntry(id: $id, manageToken: $t) { __typename
    ... on DrawEntry { status } ... on UserError { code message } } }"""
CALENDAR = """query($s: ID!) { releaseCalendar(serviceId: $s) {
    releasesAt policy drawClosesAt entriesOpen from to } }"""
AVAILABILITY = """query($s: ID!, $f: Date!, $t: Date!) { availability(serviceId: $s, from: $f, to: $t) {
    slots { id } } }"""
WAITLIST_ENTRY = """query($id: ID!, $t: String!) { waitlistEntry(id: $id, manageToken: $t) { status position } }"""


@pytest.fixture(scope="module")
def servers(settings: Settings) -> Iterator[list[str]]:
    env = suite_environment(
        settings,
        TURNERO_DRAW_ENTRIES_PER_ADDRESS=str(PER_ADDRESS),
        TURNERO_MAX_QUERY_COST=str(TESTS_MAX_QUERY_COST),
    )
    with serving(env) as first, serving(env) as second:
        yield [first, second]


@pytest.fixture
async def web(servers: list[str]) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=servers[0], timeout=30) as http:
        yield Api(http)


class Entrants:
    """Citizens entering from addresses of their own (as a trusted proxy says them), on either server."""

    def __init__(self, servers: list[str], client: httpx.AsyncClient) -> None:
        self.servers = servers
        self.client = client
        self.sent = 0

    async def run(self, query: str, variables: dict[str, Any], address: str) -> dict[str, Any]:
        self.sent += 1
        response = await self.client.post(
            f"{self.servers[self.sent % 2]}/graphql",
            json={"query": query, "variables": variables},
            headers={"X-Forwarded-For": address},
        )
        payload: dict[str, Any] = response.json()
        assert "errors" not in payload, payload
        data: dict[str, Any] = payload["data"]
        return data

    async def enter(self, request: dict[str, Any], address: str) -> dict[str, Any]:
        result: dict[str, Any] = (await self.run(ENTER, {"i": request}, address))["enterDraw"]
        return result


@pytest.fixture
async def entrants(servers: list[str]) -> AsyncIterator[Entrants]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield Entrants(servers, client)


def person(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Persona {number}",
        "documentId": f"{40000000 + number}",
        "email": f"persona{number}@example.org",
        "locale": "es",
    } | extra


class City:
    """Two offices, a DRAW procedure with 2 days x 5 one-seat slots (09:00..13:00) at each: 20 seats."""

    def __init__(self, service_id: str, offices: dict[str, str], days: list[date]) -> None:
        self.service_id = service_id
        self.offices = offices
        self.days = days

    def request(self, who: dict[str, Any], **preferences: Any) -> dict[str, Any]:
        return {
            "serviceId": self.service_id,
            "from": self.days[0].isoformat(),
            "to": self.days[-1].isoformat(),
            "citizen": who,
        } | preferences


async def draw_city(
    web: Api, state: AppState, *, release: bool = True, agenda: dict[str, Any] | None = None, **service: Any
) -> City:
    token = await web.make_admin(state)
    offices = {slug: await web.office(token, slug=slug) for slug in ("centro", "norte")}
    service_id = await web.service(token, slug="pasaporte", releasePolicy="DRAW", drawMinutes=5, **service)
    today = datetime.now(ZoneInfo(ZONE)).date()
    days = [today + timedelta(days=1), today + timedelta(days=2)]
    for office_id in offices.values():
        added = await web.agenda(
            token,
            officeId=office_id,
            serviceId=service_id,
            weekdays=sorted({day.isoweekday() for day in days}),
            startTime="09:00",
            endTime="14:00",
            slotMinutes=60,
            validFrom=days[0].isoformat(),
            validTo=days[-1].isoformat(),
            **({"capacity": 1} | (agenda or {})),
        )
        assert added["__typename"] == "Agenda", added
    if release:
        assert (await web.release(token))["created"] == 20
    return City(service_id, offices, days)


async def close_window(state: AppState) -> None:
    """The window's end, as if drawMinutes had passed."""
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""UPDATE draws SET opens_at = now() - interval '10 minutes',
                    closes_at = now() - interval '1 second' WHERE status = 'OPEN'""")
        )


async def run_job(state: AppState) -> dict[str, int]:
    return await run_draws({"turnero_state": state})


async def shown_slots(web: Api, city: City) -> set[str]:
    variables = {"s": city.service_id, "f": city.days[0].isoformat(), "t": city.days[-1].isoformat()}
    data = await web.run(AVAILABILITY, variables)
    return {slot["id"] for day in data["availability"] for slot in day["slots"]}


async def test_released_seats_stay_hidden_until_the_draw_and_the_rest_sell_first_come(
    web: Api, state: AppState, entrants: Entrants
) -> None:
    city = await draw_city(web, state)
    slots = [str(s) for s in (await _slot_ids(state, city))]
    assert await scalar(state, "SELECT count(*) FROM draws WHERE status = 'OPEN'") == 1
    assert await shown_slots(web, city) == set()
    held = (await web.run(HOLD, {"s": slots[0]}))["holdSlot"]
    assert held["__typename"] == "SlotUnavailable", held
    booked = (await web.run(BOOK, {"i": {"slotId": slots[0], "citizen": person(1)}}))["book"]
    assert booked["__typename"] == "SlotUnavailable", booked

    calendar = (await web.run(CALENDAR, {"s": city.service_id}))["releaseCalendar"]
    assert calendar[0]["policy"] == "DRAW"
    assert calendar[0]["entriesOpen"] is True
    assert (calendar[0]["from"], calendar[0]["to"]) == (city.days[0].isoformat(), city.days[-1].isoformat())
    closes = datetime.fromisoformat(calendar[0]["drawClosesAt"])
    assert timedelta(minutes=4) < closes - datetime.fromisoformat(calendar[0]["releasesAt"]) <= timedelta(minutes=5)
    assert len(calendar) == 1  # the agendas end before the next nightly release's day: nothing more to release
    # a procedure sold first come, with an open-ended agenda: its next release is the nightly one
    token = await web.make_admin(state)
    other = await web.service(token, slug="licencia")
    tomorrow = city.days[0]
    added = await web.agenda(
        token,
        officeId=city.offices["centro"],
        serviceId=other,
        weekdays=[1, 2, 3, 4, 5],
        startTime="09:00",
        endTime="10:00",
        slotMinutes=30,
        capacity=1,
        validFrom=tomorrow.isoformat(),
    )
    assert added["__typename"] == "Agenda", added
    upcoming = (await web.run(CALENDAR, {"s": other}))["releaseCalendar"]
    assert len(upcoming) == 1
    assert upcoming[0]["policy"] == "FIRST_COME"
    assert upcoming[0]["drawClosesAt"] is None
    assert upcoming[0]["entriesOpen"] is False
    releases_at = datetime.fromisoformat(upcoming[0]["releasesAt"])
    assert releases_at.utcoffset() == timedelta(0)
    assert releases_at.time().replace(tzinfo=None) == time(2, 15)
    assert timedelta(0) < releases_at - datetime.now(UTC) <= timedelta(days=1)
    assert date.fromisoformat(upcoming[0]["from"]) - releases_at.astimezone(ZoneInfo(ZONE)).date() == timedelta(30)
    assert (await web.run(CALENDAR, {"s": "999999"}))["releaseCalendar"] == []

    # nobody entered: the draw gives nothing, and every seat is then anyone's, first come
    entered = await entrants.enter(city.request(person(2)), "10.1.0.1")
    assert entered["__typename"] == "DrawEntry"
    withdrawn = (await web.run(WITHDRAW, {"id": entered["id"], "t": entered["manageToken"]}))["withdrawDrawEntry"]
    assert withdrawn == {"__typename": "DrawEntry", "status": "WITHDRAWN"}
    await close_window(state)
    assert await run_job(state) == {"drawn": 1}
    assert await run_job(state) == {"drawn": 0}  # drawn once
    assert await shown_slots(web, city) == set(slots)
    booked = (await web.run(BOOK, {"i": {"slotId": slots[0], "citizen": person(1)}}))["book"]
    assert booked["__typename"] == "BookingConfirmation", booked

    late = await entrants.enter(city.request(person(3)), "10.1.0.2")
    assert late["__typename"] == "InvalidState", late
    assert late["reason"] == "DRAW_CLOSED"
    assert datetime.fromisoformat(late["at"]).time().replace(tzinfo=None) == time(2, 15)


async def _slot_ids(state: AppState, city: City) -> list[int]:
    async with state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id FROM slots WHERE service_id = :s ORDER BY starts_at, office_id"),
            {"s": int(city.service_id)},
        )
        return [int(row[0]) for row in rows]


async def test_one_entry_per_person_and_a_few_per_address(web: Api, state: AppState, entrants: Entrants) -> None:
    city = await draw_city(web, state)
    first = await entrants.enter(city.request(person(1, phone="351 555-0001")), "10.2.0.1")
    assert first["__typename"] == "DrawEntry"
    assert first["status"] == "ENTERED"
    assert first["manageToken"]
    same_document = person(1, email="otra@example.org")
    same_email = person(2, email="Persona1@example.org")
    same_phone = person(3, phone="+54 351 555 0001")
    for again in (same_document, same_email, same_phone):
        refused = await entrants.enter(city.request(again), "10.2.0.9")
        assert refused["__typename"] == "LimitExceeded", (again, refused)

    # a bot with invented identities on one address gets PER_ADDRESS entries, not one per identity
    bot = [await entrants.enter(city.request(person(100 + n)), "10.2.0.2") for n in range(PER_ADDRESS + 3)]
    assert [r["__typename"] for r in bot] == ["DrawEntry"] * PER_ADDRESS + ["LimitExceeded"] * 3

    bad = await entrants.enter(city.request(person(5), weekdays=[8]), "10.2.0.3")
    assert bad["__typename"] == "ValidationError"
    assert bad["field"] == "input.weekdays"
    bad = await entrants.enter(city.request(person(5), earliest="12:00", latest="10:00"), "10.2.0.3")
    assert bad["__typename"] == "ValidationError"
    assert bad["field"] == "input.latest"
    missing = await entrants.enter(city.request(person(5)) | {"serviceId": "999999"}, "10.2.0.3")
    assert missing["__typename"] == "NotFound"

    read = (await web.run(ENTRY, {"id": first["id"], "t": first["manageToken"]}))["drawEntry"]
    assert read["status"] == "ENTERED"
    assert read["manageToken"] is None
    assert (await web.run(ENTRY, {"id": first["id"], "t": bot[0]["manageToken"]}))["drawEntry"] is None

    token = await web.make_admin(state)
    await web.service(token, slug="pasaporte", challengePolicy="ALWAYS")
    challenged = await entrants.enter(city.request(person(6)), "10.2.0.4")
    assert challenged["__typename"] == "ChallengeRequired", challenged


def preferences_of(number: int, city: City) -> dict[str, Any]:
    """A third each: one office only; the second day's weekday only; 10:00 to 11:00. Nobody takes 13:00."""
    if number % 3 == 0:
        return {"officeIds": [city.offices["centro"]], "latest": "12:00"}
    if number % 3 == 1:
        return {"weekdays": [city.days[1].isoweekday()], "latest": "12:00"}
    return {"earliest": "10:00", "latest": "11:00"}


async def test_a_draw_is_reproducible_from_its_logged_seed_and_respects_preferences(
    web: Api, state: AppState, entrants: Entrants, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    city = await draw_city(web, state)
    entries: dict[str, dict[str, Any]] = {}
    for number in range(60):
        request = city.request(person(number), **preferences_of(number, city))
        entered = await entrants.enter(request, f"10.3.{number // PER_ADDRESS}.1")
        assert entered["__typename"] == "DrawEntry", entered
        entries[entered["id"]] = entered | {"number": number}

    await close_window(state)
    with caplog.at_level(logging.INFO, logger="turnero.draws"):
        assert await run_job(state) == {"drawn": 1}
    logged = [re.search(r"draw (\d+) of service \d+: seed ([0-9a-f]{64})", r.getMessage()) for r in caplog.records]
    draw_id, seed_hex = next((int(m.group(1)), m.group(2)) for m in logged if m)
    assert bytes(await scalar(state, "SELECT seed FROM draws WHERE id = :id", id=draw_id)).hex() == seed_hex

    # reproducible: the replay from the stored seed gives what the draw gave; another seed would not
    async with state.engine.connect() as conn:
        replayed = await replay(conn, draw_id)
        given = await inputs(conn, draw_id)
    assert replayed.matches
    assert replayed.seed.hex() == seed_hex
    won = {entry for entry, slot in replayed.recorded.items() if slot is not None}
    # greedy, not a perfect matching: but no loser is left with a free seat that suits them
    taken = Counter(slot for slot in replayed.recorded.values() if slot is not None)
    free = [seat for seat in given.seats if seat.seats > taken[seat.slot_id]]
    by_id = {entrant.entry_id: entrant for entrant in given.entrants}
    for entry_id, slot in replayed.recorded.items():
        if slot is None:
            assert not [seat for seat in free if by_id[entry_id].preferences.suits(seat.office_id, seat.local_start)]
    assert len(free) >= 4  # the 13:00 seats, which nobody takes
    assert len(won) == 20 - len(free)
    assert dict(assign(bytes(32), given.entrants, given.seats)) != replayed.recorded
    cli = main_py("replay-draw", str(draw_id), env=suite_environment(settings))
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "matches" in cli.stdout

    # each winner: one booking, in a seat that suits them; each person at most one seat
    async with state.engine.connect() as conn:
        result = list(
            (
                await conn.execute(
                    text("""SELECT e.id, e.status::text AS status, b.slot_id, b.status::text AS booking,
                               sl.office_id, sl.starts_at AT TIME ZONE o.timezone AS local_start
                            FROM draw_entries e LEFT JOIN bookings b ON b.id = e.booking_id
                            LEFT JOIN slots sl ON sl.id = b.slot_id LEFT JOIN offices o ON o.id = sl.office_id
                            WHERE e.draw_id = :id"""),
                    {"id": draw_id},
                )
            ).mappings()
        )
        duplicates = (
            await conn.execute(
                text("""SELECT count(*) FROM (SELECT document_hash FROM bookings GROUP BY document_hash
                        HAVING count(*) > 1) AS twice""")
            )
        ).scalar_one()
    assert duplicates == 0
    assert sorted(str(row["id"]) for row in result if row["status"] == "WON") == sorted(str(e) for e in won)
    for row in result:
        entry = entries[str(row["id"])]
        if row["status"] != "WON":
            assert row["status"] == "WAITLISTED", row
            continue
        assert row["booking"] == "BOOKED"
        wanted = preferences_of(entry["number"], city)
        local: datetime = row["local_start"]
        if "officeIds" in wanted:
            assert str(row["office_id"]) == city.offices["centro"]
        if "weekdays" in wanted:
            assert local.isoweekday() == city.days[1].isoweekday()
        assert local.time() <= time.fromisoformat(wanted["latest"])
        if "earliest" in wanted:
            assert local.time() >= time.fromisoformat(wanted["earliest"])
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE kind = 'booking.confirmation'") == len(won)
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE kind = 'draw.result'") == 60

    # the rest went to the waitlist, in the draw's order, with their preferences; the draw token manages it
    loser_id = next(str(row["id"]) for row in result if row["status"] == "WAITLISTED")
    loser = entries[loser_id]
    seen = (await web.run(ENTRY, {"id": loser_id, "t": loser["manageToken"]}))["drawEntry"]
    assert seen["status"] == "WAITLISTED"
    assert seen["waitlistEntry"]["status"] == "WAITING"
    place = await web.run(WAITLIST_ENTRY, {"id": seen["waitlistEntry"]["id"], "t": loser["manageToken"]})
    assert place["waitlistEntry"]["status"] == "WAITING"
    waitlisted = [entry for entry, slot in replayed.replayed if slot is None]
    async with state.engine.connect() as conn:
        order = [
            int(row[0])
            for row in await conn.execute(
                text("""SELECT e.id FROM waitlist_entries w JOIN draw_entries e ON e.waitlist_entry_id = w.id
                        ORDER BY w.id""")
            )
        ]
    assert order == waitlisted

    # the result mails, in the person's language
    winner_id = next(str(row["id"]) for row in result if row["status"] == "WON")
    async with state.engine.connect() as conn:
        won_mail = await compose(
            conn, settings, OutboxRow(0, "draw.result", None, {"draw_entry_id": int(winner_id)}, 1)
        )
        lost_mail = await compose(
            conn, settings, OutboxRow(0, "draw.result", None, {"draw_entry_id": int(loser_id)}, 1)
        )
    assert won_mail is not None
    assert "Obtuvo un turno en el sorteo" in str(won_mail["Subject"])
    assert lost_mail is not None
    assert "lista de espera" in str(lost_mail["Subject"])
    body = lost_mail.get_body(("plain",))
    assert body is not None
    assert f"token={loser['manageToken']}" in body.get_content()

    # what is left (the 13:00 seats among them) is anyone's now
    assert await shown_slots(web, city) == {str(seat.slot_id) for seat in free}


async def test_a_freed_seat_goes_to_the_first_waiting_entry_it_suits(
    web: Api, state: AppState, entrants: Entrants
) -> None:
    """The waitlist matches weekdays and times of day: someone ahead who cannot come then is passed over."""
    city = await draw_city(web, state)
    await close_window(state)
    await run_job(state)  # nobody entered: every seat is sellable
    slots = await _slot_ids(state, city)
    first_slot = str(slots[0])  # the first day, 09:00 (either office)
    booked = (await web.run(BOOK, {"i": {"slotId": first_slot, "citizen": person(1)}}))["book"]
    assert booked["__typename"] == "BookingConfirmation", booked
    join = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
        ... on WaitlistEntry { id manageToken } ... on ValidationError { field } } }"""
    wrong_day = await web.run(join, {"i": city.request(person(2), weekdays=[city.days[1].isoweekday()])})
    too_early = await web.run(join, {"i": city.request(person(3), earliest="10:00")})
    suits = await web.run(join, {"i": city.request(person(4), latest="09:30")})
    bad = (await web.run(join, {"i": city.request(person(5), weekdays=[0])}))["joinWaitlist"]
    assert bad == {"__typename": "ValidationError", "field": "input.weekdays"}
    cancel = """mutation($c: String!, $t: String) { cancelBooking(code: $c, manageToken: $t) { __typename } }"""
    code, token = booked["booking"]["code"], booked["manageToken"]
    assert (await web.run(cancel, {"c": code, "t": token}))["cancelBooking"]["__typename"] == "Booking"

    statuses = []
    for joined in (wrong_day, too_early, suits):
        entry = joined["joinWaitlist"]
        found = await web.run(WAITLIST_ENTRY, {"id": entry["id"], "t": entry["manageToken"]})
        statuses.append(found["waitlistEntry"]["status"])
    assert statuses == ["WAITING", "WAITING", "OFFERED"]


async def test_where_the_procedure_asks_for_confirmation_a_won_seat_waits_for_it(
    web: Api, state: AppState, entrants: Entrants, settings: Settings
) -> None:
    """An invented e-mail confirms nothing: the seat won is PENDING, as any citizen's booking of the procedure
    (the confirmation sweep gives it back if never confirmed)."""
    city = await draw_city(web, state, confirmationRequired=True)
    no_mail = await entrants.enter(city.request(person(1, email=None)), "10.5.0.1")
    assert no_mail == {
        "__typename": "ValidationError",
        "code": "INVALID_INPUT",
        "field": "input.citizen.email",
        "message": "Este trámite envía un enlace para confirmar el lugar ganado: ingresá un correo electrónico.",
    }
    entered = await entrants.enter(city.request(person(2, locale="en")), "10.5.0.1")
    assert entered["__typename"] == "DrawEntry"
    await close_window(state)
    await run_job(state)
    seen = (await web.run(ENTRY, {"id": entered["id"], "t": entered["manageToken"]}))["drawEntry"]
    assert seen["status"] == "WON"
    status = "SELECT status::text FROM bookings WHERE code = :c"
    assert await scalar(state, status, c=seen["bookingCode"]) == "PENDING"
    requests = "SELECT count(*) FROM outbox WHERE kind = 'booking.confirmation_request'"
    assert await scalar(state, requests) == 1
    async with state.engine.connect() as conn:
        row = OutboxRow(0, "draw.result", None, {"draw_entry_id": int(entered["id"])}, 1)
        mail = await compose(conn, settings, row)
    assert mail is not None
    assert "You won a seat in the draw" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    assert "Confirm it from the link" in body.get_content()


async def test_the_seats_kept_for_the_phone_line_are_not_drawn(web: Api, state: AppState, entrants: Entrants) -> None:
    city = await draw_city(web, state, agenda={"capacity": 2, "reservedSeats": 1, "reservedUntilHours": 1})
    for number in range(25):
        entered = await entrants.enter(city.request(person(number)), f"10.6.{number // PER_ADDRESS}.1")
        assert entered["__typename"] == "DrawEntry", entered
    await close_window(state)
    await run_job(state)
    assert await scalar(state, "SELECT count(*) FROM draw_entries WHERE status = 'WON'") == 20
    assert await scalar(state, "SELECT count(*) FROM draw_entries WHERE status = 'WAITLISTED'") == 5
    assert await scalar(state, "SELECT max(booked) FROM slots") == 1  # the second seat is still the phone line's


async def test_entries_at_once_from_one_address_and_two_workers_drawing_at_once(
    web: Api, state: AppState, servers: list[str]
) -> None:
    """The address cap holds when a bot's entries arrive together on both servers; two draw jobs at once draw
    the draw once."""
    city = await draw_city(web, state)
    bodies = [{"query": ENTER, "variables": {"i": city.request(person(200 + n))}} for n in range(12)]
    answers = await at_once(servers, bodies, addresses=["10.7.0.1"] * 12)
    kinds = Counter(answer["__typename"] for answer in answers)
    assert kinds == {"DrawEntry": PER_ADDRESS, "LimitExceeded": 12 - PER_ADDRESS}

    await close_window(state)
    runs = await asyncio.gather(run_job(state), run_job(state))
    assert sorted(run["drawn"] for run in runs) == [0, 1]
    assert await scalar(state, "SELECT count(*) FROM bookings") == PER_ADDRESS
