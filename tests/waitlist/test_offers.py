"""Freed seats offered to the waitlist before anyone else sees them (issue 14 part 5): through real `serve`
processes with the re-release delay on (the rest of the suite runs with it off)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.context import JobContext
from jobs.waitlist import expire_offers
from notifications.outbox import OutboxRow
from resolvers.outbox.mail import compose
from tests.conftest import TESTS_MAX_QUERY_COST
from tests.support.api import Api
from tests.support.booking import CANCEL, RESCHEDULE, ZONE, book, bookable_slots, citizen, scalar
from tests.support.browser import PHONE
from tests.support.holds import shown
from tests.support.processes import at_once, serving, suite_environment

pytestmark = pytest.mark.slow

DELAY_MINUTES = 10
OFFER_MINUTES = 60

JOIN = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
    ... on WaitlistEntry { id status position manageToken } ... on UserError { code message } } }"""
ENTRY = """query($id: ID!, $t: String!) { waitlistEntry(id: $id, manageToken: $t) {
    status position offerExpiresAt } }"""
LEAVE = """mutation($id: ID!, $t: String!) { leaveWaitlist(id: $id, manageToken: $t) { __typename
    ... on WaitlistEntry { status position } ... on UserError { code message } } }"""
ACCEPT = """mutation($id: ID!, $t: String!) { acceptOffer(id: $id, manageToken: $t) { __typename
    ... on BookingConfirmation { manageToken booking { code status slot { id } citizen { documentHint } } }
    ... on InvalidState { reason } ... on UserError { code message } } }"""


@pytest.fixture(scope="module")
def servers(settings: Settings) -> Iterator[list[str]]:
    """Two `serve` processes with the production defaults of the offer and the re-release delay."""
    env = suite_environment(
        settings,
        TURNERO_RERELEASE_DELAY_MINUTES=str(DELAY_MINUTES),
        TURNERO_OFFER_MINUTES=str(OFFER_MINUTES),
        TURNERO_MAX_QUERY_COST=str(TESTS_MAX_QUERY_COST),  # availability with each slot's seats, as in-process
    )
    with serving(env) as first, serving(env) as second:
        yield [first, second]


@pytest.fixture
async def web(servers: list[str]) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=servers[0], timeout=30) as http:
        yield Api(http)


def job_context(state: AppState) -> JobContext:
    """A worker's context whose settings have the servers' delays."""
    settings = state.settings.model_copy(
        update={"rerelease_delay_minutes": DELAY_MINUTES, "offer_minutes": OFFER_MINUTES}
    )
    return {"turnero_state": dataclasses.replace(state, settings=settings)}


async def waiting(api: Api, service_id: int, document: str, locale: str = "es") -> dict[str, Any]:
    """A place on the line for the next week's days, as the offices' calendar has them."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    request = {
        "serviceId": str(service_id),
        "from": today.isoformat(),
        "to": (today + timedelta(days=7)).isoformat(),
        "citizen": citizen(document, locale=locale, email=f"{document}@example.org"),
    }
    entry: dict[str, Any] = (await api.run(JOIN, {"i": request}))["joinWaitlist"]
    assert entry["__typename"] == "WaitlistEntry", entry
    return entry


async def read(api: Api, entry: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await api.run(ENTRY, {"id": entry["id"], "t": entry["manageToken"]}))["waitlistEntry"]
    return found


async def full_slot(api: Api, token: str, state: AppState) -> tuple[str, int, dict[str, Any]]:
    """A one-seat slot booked by a citizen: its id, its service, and the booking's confirmation."""
    slot_id = (await bookable_slots(api, token, capacity=1))[0]
    booked = await book(api, slot_id)
    assert booked["__typename"] == "BookingConfirmation", booked
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    return slot_id, service_id, booked


async def cancel(api: Api, booked: dict[str, Any]) -> None:
    variables = {"c": booked["booking"]["code"], "t": booked["manageToken"]}
    assert (await api.run(CANCEL, variables))["cancelBooking"]["__typename"] == "Booking"


async def delay_hold_ends(state: AppState, slot_id: str) -> None:
    """The re-release delay runs out: its hold (nobody's) is now in the past."""
    async with state.engine.begin() as conn:
        result = await conn.execute(
            text("""UPDATE slot_holds SET expires_at = now() - interval '1 second'
                    WHERE slot_id = :id AND rerelease AND expires_at > now()"""),
            {"id": int(slot_id)},
        )
    assert result.rowcount == 1


async def offer_ends(state: AppState, entry: dict[str, Any]) -> None:
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE waitlist_entries SET offer_expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": int(entry["id"])},
        )


async def subject(state: AppState, settings: Settings, kind: str, entry: dict[str, Any]) -> str:
    """The subject of the mail of this kind about this entry, composed now ("" when none would be sent)."""
    row = OutboxRow(0, kind, None, {"waitlist_entry_id": int(entry["id"])}, 1)
    async with state.engine.connect() as conn:
        mail = await compose(conn, settings, row)
    return str(mail["Subject"]) if mail is not None else ""


async def test_a_cancelled_seat_is_offered_to_the_first_in_line_before_anyone_sees_it(
    web: Api, state: AppState, settings: Settings
) -> None:
    token = await web.make_admin(state)
    slot_id, service_id, booked = await full_slot(web, token, state)
    first = await waiting(web, service_id, "20000001")
    second = await waiting(web, service_id, "20000002")

    await cancel(web, booked)

    assert await shown(web, state, slot_id) is None  # still full to everyone
    offered = await read(web, first)
    assert offered["status"] == "OFFERED"
    assert offered["position"] is None
    until = datetime.fromisoformat(offered["offerExpiresAt"])
    ahead = until - datetime.now(UTC)
    assert timedelta(minutes=OFFER_MINUTES - 1) < ahead <= timedelta(minutes=OFFER_MINUTES)
    assert await read(web, second) == {"status": "WAITING", "position": 1, "offerExpiresAt": None}

    # the mail: the seat and the link to accept it, in the person's language
    async with state.engine.connect() as conn:
        row = (
            (await conn.execute(text("SELECT id, kind, payload FROM outbox WHERE kind = 'waitlist.offer'")))
            .mappings()
            .one()
        )
        assert row["payload"] == {"waitlist_entry_id": int(first["id"])}
        mail = await compose(conn, settings, OutboxRow(row["id"], row["kind"], None, row["payload"], 1))
    assert mail is not None
    assert mail["To"].addresses[0].addr_spec == "20000001@example.org"
    assert "Se liberó un turno" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    assert f"/waitlist#id={first['id']}&token={first['manageToken']}" in body.get_content()

    wrong = (await web.run(ACCEPT, {"id": first["id"], "t": second["manageToken"]}))["acceptOffer"]
    assert wrong["__typename"] == "NotFound"
    not_offered = (await web.run(ACCEPT, {"id": second["id"], "t": second["manageToken"]}))["acceptOffer"]
    assert not_offered["__typename"] == "InvalidState"

    accepted = (await web.run(ACCEPT, {"id": first["id"], "t": first["manageToken"]}))["acceptOffer"]
    assert accepted["__typename"] == "BookingConfirmation", accepted
    assert accepted["booking"]["slot"]["id"] == slot_id
    assert accepted["booking"]["status"] == "BOOKED"
    assert accepted["booking"]["citizen"]["documentHint"].endswith("0001")
    assert (await read(web, first))["status"] == "BOOKED"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 1
    live = "SELECT count(*) FROM slot_holds WHERE slot_id = :id AND expires_at > now()"
    assert await scalar(state, live, id=int(slot_id)) == 0
    again = (await web.run(ACCEPT, {"id": first["id"], "t": first["manageToken"]}))["acceptOffer"]
    assert again["__typename"] == "InvalidState"


async def test_a_declined_offer_goes_to_the_next_then_back_to_everyone_after_the_delay(
    web: Api, state: AppState
) -> None:
    token = await web.make_admin(state)
    slot_id, service_id, booked = await full_slot(web, token, state)
    first = await waiting(web, service_id, "21000001")
    second = await waiting(web, service_id, "21000002")
    await cancel(web, booked)

    declined = (await web.run(LEAVE, {"id": first["id"], "t": first["manageToken"]}))["leaveWaitlist"]
    assert declined == {"__typename": "WaitlistEntry", "status": "LEFT", "position": None}
    assert (await read(web, second))["status"] == "OFFERED"
    assert await shown(web, state, slot_id) is None

    assert (await web.run(LEAVE, {"id": second["id"], "t": second["manageToken"]}))["leaveWaitlist"]["status"] == "LEFT"
    # nobody waits: hidden for the re-release delay, by a hold of nobody's that frees itself
    assert await shown(web, state, slot_id) is None
    delay = await scalar(
        state,
        "SELECT expires_at - now() FROM slot_holds WHERE slot_id = :id AND rerelease AND expires_at > now()",
        id=int(slot_id),
    )
    assert timedelta(minutes=DELAY_MINUTES - 1) < delay <= timedelta(minutes=DELAY_MINUTES)
    await delay_hold_ends(state, slot_id)
    seen = await shown(web, state, slot_id)
    assert seen is not None
    assert seen["remaining"] == 1


async def test_an_expired_offer_passes_to_the_next_and_then_back_after_the_delay(
    web: Api, state: AppState, settings: Settings
) -> None:
    token = await web.make_admin(state)
    slot_id, service_id, booked = await full_slot(web, token, state)
    first = await waiting(web, service_id, "22000001")
    second = await waiting(web, service_id, "22000002", locale="en")
    await cancel(web, booked)
    assert await expire_offers(job_context(state)) == {"expired": 0}  # nothing due yet

    await offer_ends(state, first)
    late = (await web.run(ACCEPT, {"id": first["id"], "t": first["manageToken"]}))["acceptOffer"]
    assert late["__typename"] == "InvalidState"
    assert late["reason"] == "OFFER_EXPIRED"
    # until the job runs, the grace keeps the seat hidden
    assert await shown(web, state, slot_id) is None

    assert await expire_offers(job_context(state)) == {"expired": 1}
    assert (await read(web, first))["status"] == "EXPIRED"
    assert (await read(web, second))["status"] == "OFFERED"
    assert await shown(web, state, slot_id) is None
    expired_mails = "SELECT count(*) FROM outbox WHERE kind = 'waitlist.offer_expired'"
    assert await scalar(state, expired_mails) == 1
    assert "Venció el turno" in await subject(state, settings, "waitlist.offer_expired", first)
    assert "A seat is offered to you" in await subject(state, settings, "waitlist.offer", second)
    # a mail composed once the offer is over says nothing: it would send the citizen to a seat gone
    assert await subject(state, settings, "waitlist.offer", first) == ""

    await offer_ends(state, second)
    assert await expire_offers(job_context(state)) == {"expired": 1}
    assert (await read(web, second))["status"] == "EXPIRED"
    assert await shown(web, state, slot_id) is None
    await delay_hold_ends(state, slot_id)
    seen = await shown(web, state, slot_id)
    assert seen is not None
    assert seen["remaining"] == 1


async def test_a_seat_left_by_a_reschedule_is_offered_too(web: Api, state: AppState) -> None:
    token = await web.make_admin(state)
    slot_ids = await bookable_slots(web, token, capacity=1)
    booked = await book(web, slot_ids[0])
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_ids[0])))
    entry = await waiting(web, service_id, "27000001")

    variables = {"c": booked["booking"]["code"], "s": slot_ids[1], "t": booked["manageToken"]}
    moved = (await web.run(RESCHEDULE, variables))["rescheduleBooking"]

    assert moved["__typename"] == "BookingConfirmation", moved
    assert (await read(web, entry))["status"] == "OFFERED"
    offered = "SELECT offer_slot_id FROM waitlist_entries WHERE id = :id"
    assert await scalar(state, offered, id=int(entry["id"])) == int(slot_ids[0])
    assert await shown(web, state, slot_ids[0]) is None


async def test_two_workers_expiring_at_once_pass_each_seat_on_once(web: Api, state: AppState) -> None:
    token = await web.make_admin(state)
    slot_id = (await bookable_slots(web, token, capacity=3))[0]
    bookings = [await book(web, slot_id, citizen=citizen(f"2800000{n}")) for n in range(3)]
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    entries = [await waiting(web, service_id, f"2900000{n}") for n in range(6)]
    for booked in bookings:
        await cancel(web, booked)
    for entry in entries[:3]:
        await offer_ends(state, entry)

    runs = await asyncio.gather(expire_offers(job_context(state)), expire_offers(job_context(state)))

    assert sum(run["expired"] for run in runs) == 3
    assert [(await read(web, entry))["status"] for entry in entries] == ["EXPIRED"] * 3 + ["OFFERED"] * 3
    live = "SELECT count(*) FROM slot_holds WHERE slot_id = :id AND expires_at > now()"
    assert await scalar(state, live, id=int(slot_id)) == 3
    assert await shown(web, state, slot_id) is None


async def test_who_joins_during_the_re_release_delay_is_offered_the_seat_kept_back(web: Api, state: AppState) -> None:
    token = await web.make_admin(state)
    slot_id, service_id, booked = await full_slot(web, token, state)
    await cancel(web, booked)  # nobody waits yet: kept back for the delay
    assert await shown(web, state, slot_id) is None

    newcomer = await waiting(web, service_id, "30000001")

    assert newcomer["status"] == "OFFERED"
    assert newcomer["position"] is None
    offered = "SELECT offer_slot_id FROM waitlist_entries WHERE id = :id"
    assert await scalar(state, offered, id=int(newcomer["id"])) == int(slot_id)
    kept = "SELECT count(*) FROM slot_holds WHERE slot_id = :id AND rerelease AND expires_at > now()"
    assert await scalar(state, kept, id=int(slot_id)) == 0
    assert await shown(web, state, slot_id) is None
    # the next one finds nothing kept back: a place in line
    assert (await waiting(web, service_id, "30000002"))["status"] == "WAITING"
    accepted = (await web.run(ACCEPT, {"id": newcomer["id"], "t": newcomer["manageToken"]}))["acceptOffer"]
    assert accepted["__typename"] == "BookingConfirmation", accepted


SEATS = 6
WAITING = 4


async def test_concurrent_cancels_and_accepts_across_two_processes_never_double_book(
    web: Api, state: AppState, servers: list[str]
) -> None:
    token = await web.make_admin(state)
    slot_id = (await bookable_slots(web, token, capacity=SEATS))[0]
    bookings = []
    for n in range(SEATS):
        booked = await book(web, slot_id, citizen=citizen(f"2300000{n}"))
        assert booked["__typename"] == "BookingConfirmation", booked
        bookings.append(booked)
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    entries = [await waiting(web, service_id, f"2400000{n}") for n in range(WAITING)]

    cancels = [{"query": CANCEL, "variables": {"c": b["booking"]["code"], "t": b["manageToken"]}} for b in bookings]
    assert Counter(r["__typename"] for r in await at_once(servers, cancels)) == {"Booking": SEATS}

    # each entry got one seat, each seat went to one entry; the others wait out the delay
    offers = await scalar(state, "SELECT count(DISTINCT offer_hold_id) FROM waitlist_entries WHERE status = 'OFFERED'")
    assert offers == WAITING
    nobody = "SELECT count(*) FROM slot_holds WHERE rerelease AND expires_at > now()"
    assert await scalar(state, nobody) == SEATS - WAITING
    assert await shown(web, state, slot_id) is None

    # every entry accepts twice at once, and strangers try to book the slot at the same moment
    accepts = [
        {"query": ACCEPT, "variables": {"id": e["id"], "t": e["manageToken"]}} for e in entries for _ in range(2)
    ]
    strangers = [
        {
            "query": "mutation($i: BookInput!) { book(input: $i) { __typename } }",
            "variables": {"i": {"slotId": slot_id, "citizen": citizen(f"2500000{n}")}},
        }
        for n in range(4)
    ]
    outcomes = Counter(r["__typename"] for r in await at_once(servers, accepts + strangers))
    assert outcomes == {"BookingConfirmation": WAITING, "InvalidState": WAITING, "SlotUnavailable": 4}, outcomes
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == WAITING
    active = "SELECT count(*) FROM bookings WHERE slot_id = :id AND status = 'BOOKED'"
    assert await scalar(state, active, id=int(slot_id)) == WAITING
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries WHERE status = 'BOOKED'") == WAITING


async def test_the_mails_link_opens_a_page_that_accepts_the_offer(
    web: Api, state: AppState, servers: list[str], browser: Browser
) -> None:
    token = await web.make_admin(state)
    slot_id, service_id, booked = await full_slot(web, token, state)
    entry = await waiting(web, service_id, "26000001")
    await cancel(web, booked)
    context = await browser.new_context(locale="es-AR", timezone_id="America/Argentina/Cordoba", viewport=PHONE)
    try:
        page = await context.new_page()
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text) if "Content Security" in message.text else None)
        await page.goto(f"{servers[1]}/waitlist#id={entry['id']}&token={entry['manageToken']}")
        await expect(page.get_by_role("status")).to_contain_text("Te lo guardamos hasta")
        await page.get_by_role("button", name="Aceptar el turno").click()
        await expect(page.get_by_role("status")).to_contain_text("¡Listo! Tu turno es el")
        await expect(page.get_by_role("link", name="Ver el turno")).to_be_visible()
    finally:
        await context.close()
    assert blocked == []
    assert (await read(web, entry))["status"] == "BOOKED"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_id)) == 1
