"""Issue 14 part 8: the console shows where a slot's seats are (booked, held by a citizen, offered to the
waitlist, kept back for the re-release delay, kept for the phone line and the desk), in real Chromium against a
real `serve` with the re-release delay on; and only the office's staff may see the offers and the seats kept
back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import STAFF_PASSWORD, Api
from tests.support.booking import ZONE, book, bookable_slots, citizen, scalar
from tests.support.browser import PHONE, check_page, ensure_axe
from tests.support.holds import hold
from tests.support.processes import serving, suite_environment
from tests.waitlist.test_offers import cancel, read, waiting

pytestmark = pytest.mark.slow

SEATS = """query($o: ID!, $d: Date!) { officeSlots(officeId: $o, date: $d) {
    id capacity booked held offered keptBack reserved remaining } }"""
EARLIEST = "query($s: ID!) { earliestSlots(serviceId: $s) { id held offered keptBack } }"


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[str]:
    with serving(suite_environment(settings, TURNERO_RERELEASE_DELAY_MINUTES="10")) as base:
        yield base


@pytest.fixture
async def web(site: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        yield Api(http)


def tomorrow() -> str:
    return (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()


async def a_slot_with_every_kind_of_seat(web: Api, state: AppState, admin: str) -> tuple[str, str]:
    """Five seats: one booked, one held by a citizen, one offered to the waitlist, one kept back, one kept for
    the phone line (until an hour before). The slot's id and its office's."""
    slot_id = (
        await bookable_slots(web, admin, capacity=5, reserved_seats=1, reserved_until_hours=1, challengePolicy="NEVER")
    )[0]
    people = [await book(web, slot_id, citizen=citizen(document)) for document in ("20000001", "20000002", "20000003")]
    assert all(booked["__typename"] == "BookingConfirmation" for booked in people), people
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    entry = await waiting(web, service_id, "20000009")
    await cancel(web, people[0])  # offered to the one waiting
    assert (await read(web, entry))["status"] == "OFFERED"
    await cancel(web, people[1])  # nobody else waits: kept back for the delay
    assert (await hold(web, slot_id))["__typename"] == "SlotHold"
    return slot_id, str(await scalar(state, "SELECT office_id FROM slots WHERE id = :id", id=int(slot_id)))


async def test_the_console_shows_a_slot_s_held_offered_kept_back_and_reserved_seats(
    web: Api, state: AppState, site: str, browser: Browser
) -> None:
    admin = await web.make_admin(state)
    slot_id, office_id = await a_slot_with_every_kind_of_seat(web, state, admin)
    await web.staff_token(admin, "manager-seats", "MANAGER", office_id)
    seats = {s["id"]: s for s in (await web.run(SEATS, {"o": office_id, "d": tomorrow()}, admin))["officeSlots"]}
    expected = {"capacity": 5, "booked": 1, "held": 3, "offered": 1, "keptBack": 1, "reserved": 1, "remaining": 0}
    assert seats[slot_id] == {"id": slot_id} | expected
    assert len(seats) == 4  # the full slot too: every slot of the day, not only the free ones

    context = await browser.new_context(locale="es-AR", timezone_id=ZONE, viewport=PHONE)
    await context.add_init_script(path=str(ensure_axe()))
    page = await context.new_page()
    await page.goto(f"{site}/console")
    await page.get_by_label("Usuario").fill("manager-seats")
    await page.get_by_label("Contraseña").fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await page.get_by_role("link", name="Turnos del día").click()
    await page.get_by_label("Día", exact=True).fill(tomorrow())
    await page.get_by_role("button", name="Mostrar").click()
    row = page.locator(f'#slots tr[data-slot="{slot_id}"]')
    shown = {
        "capacity": "5",
        "booked": "1",
        "held": "1",  # the citizen's own: the offer and the seat kept back have columns of their own
        "offered": "1",
        "kept-back": "1",
        "reserved": "1",
        "free": "0",
    }
    for column, figure in shown.items():
        await expect(row.locator(f'[data-seats="{column}"]')).to_have_text(figure)
    await expect(row).to_contain_text("09:00")
    await expect(page.locator("#slots tr")).to_have_count(4)
    await expect(page.locator("#error")).to_be_empty()
    await check_page(page, "console-slots")
    await context.close()


async def test_only_the_office_s_staff_see_offers_and_seats_kept_back(web: Api, state: AppState) -> None:
    admin = await web.make_admin(state)
    slot_id, office_id = await a_slot_with_every_kind_of_seat(web, state, admin)
    service_id = str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    other = await web.office(admin, slug="norte")
    stranger = await web.staff_token(admin, "manager-norte", "MANAGER", other)
    clerk = await web.staff_token(admin, "clerk-centro", "CLERK", office_id)

    for token in (None, stranger):
        response = (await web.post(SEATS, {"o": office_id, "d": tomorrow()}, token)).json()
        assert response["errors"][0]["extensions"]["code"] == "NOT_ALLOWED", response
        # the slot itself is public, with its held seats; where they are is not
        found = (await web.run(EARLIEST, {"s": service_id}, token))["earliestSlots"]
        assert found
        assert all(slot["offered"] is None and slot["keptBack"] is None for slot in found), found
    listed = (await web.run(SEATS, {"o": office_id, "d": tomorrow()}, clerk))["officeSlots"]
    assert [(s["offered"], s["keptBack"]) for s in listed if s["id"] == slot_id] == [(1, 1)]
