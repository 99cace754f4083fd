"""The booking page's other ways to a seat, in real Chromium against a real `main.py serve` (issue 14 part 8): a
person finds no free time and joins the waitlist from the page, and the link it shows opens their place; a DRAW
procedure shows its release calendar, takes an entry from the page, and /draw shows the entry, then its result
once the draw has run. Each page gets an axe-core scan at phone and TV sizes."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import ZONE, book, bookable_slots, scalar
from tests.support.browser import PHONE, check_page, ensure_axe
from tests.waitlist.test_draws import ENTER, City, close_window, draw_city, person, run_job

pytestmark = pytest.mark.slow


async def _page(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    page = await context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security" in message.text else None)
    page.on("pageerror", lambda error: blocked.append(str(error)))  # a script that fails is a test that fails
    await page.goto(url)
    return page, blocked


async def _fill_citizen(form: Locator, name: str, document: str, email: str) -> None:
    await form.get_by_label("Nombre y apellido").fill(name)
    await form.get_by_label("Número de documento").fill(document)
    await form.get_by_label("Correo electrónico").fill(email)


async def test_a_person_without_a_free_time_joins_the_waitlist_from_the_booking_page(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, slots_per_day=1)
    assert (await book(api, slots[0]))["__typename"] == "BookingConfirmation"  # the only seat is gone
    page, blocked = await _page(context, f"{site}/")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    # no free time: the page says so and opens the waitlist's form by itself
    await expect(page.locator("#waitlist-empty")).to_be_visible()
    form = page.locator("#waitlist-form")
    await expect(form).to_be_visible()
    await form.get_by_role("button", name="Anotarme").click()
    # the citizen's fields are checked as in the booking form: nothing is sent without them
    await expect(page.locator("#waitlist-name-error")).to_be_visible()
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries") == 0
    await form.get_by_label("Martes").check()
    await form.get_by_label("Jueves").check()
    await form.get_by_label("No antes de las").fill("08:30")
    await _fill_citizen(form, "Ana Pérez", "30123456", "ana@example.org")
    await check_page(page, "booking-waitlist-form")
    await form.get_by_role("button", name="Anotarme").click()

    done = page.locator("#waitlist-done")
    await expect(done).to_contain_text("estás en la lista de espera de Service dni, en el lugar 1")
    await expect(form).to_be_hidden()
    row = await scalar(state, "SELECT weekdays FROM waitlist_entries WHERE citizen_name = 'Ana Pérez'")
    assert list(row) == [2, 4]
    assert await scalar(state, "SELECT earliest::text FROM waitlist_entries") == "08:30:00"
    link = await done.get_by_role("link", name="Ver mi lugar en la lista de espera").get_attribute("href")
    assert link is not None
    assert re.fullmatch(rf"{re.escape(site)}/waitlist#id=\d+&token=[^&]+", link), link
    await check_page(page, "booking-waitlist-joined")
    # in English, what the page said stays, in the new language
    await page.get_by_role("button", name="English").click()
    await expect(done).to_contain_text("you are on the waitlist for Service dni, at place 1")
    await expect(done.get_by_role("link", name="See my place on the waitlist")).to_have_attribute("href", link)

    # the link kept opens the place on the waitlist
    await page.goto(link)
    await expect(page.get_by_role("status")).to_contain_text("place 1")
    await expect(page.get_by_role("button", name="Leave the waitlist")).to_be_visible()
    assert blocked == []


async def test_the_waitlist_form_solves_the_challenge_the_procedure_asks_for(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, slots_per_day=1, challengePolicy="ALWAYS")
    taken = await book(api, slots[0], admin_token)  # staff are never asked for a challenge
    assert taken["__typename"] == "BookingConfirmation", taken
    page, blocked = await _page(context, f"{site}/")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    form = page.locator("#waitlist-form")
    await _fill_citizen(form, "Dora Ruiz", "33444555", "dora@example.org")
    await form.get_by_role("button", name="Anotarme").click()
    # joinWaitlist answers ChallengeRequired; the page solves it and sends the same request again
    await expect(page.locator("#waitlist-done")).to_contain_text("en el lugar 1", timeout=60_000)
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries") == 1
    assert len(await state.redis.keys("turnero:challenge:used:*")) == 1
    assert blocked == []


async def test_a_draw_is_entered_from_the_booking_page_and_its_result_shown_on_draw(
    site: str, browser: Browser, api: Api, state: AppState
) -> None:
    city = await draw_city(api, state)
    # a visitor whose own clock is far from the office's: times are still said on the office's clock
    context = await browser.new_context(locale="es-AR", timezone_id="Asia/Tokyo", viewport=PHONE)
    await context.add_init_script(path=str(ensure_axe()))
    try:
        await _enter_and_follow(site, context, city, state)
    finally:
        await context.close()


async def _enter_and_follow(site: str, context: BrowserContext, city: City, state: AppState) -> None:
    closes = await scalar(state, "SELECT closes_at FROM draws WHERE status = 'OPEN'")
    closes_on_the_office_clock = closes.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")
    page, blocked = await _page(context, f"{site}/")
    await page.get_by_label("Buscar trámite").fill("pasaporte")
    await page.get_by_role("button", name=re.compile("Service pasaporte")).click()
    # the calendar says until when entries are taken, on the office's clock; the seats stay hidden meanwhile,
    # and the waitlist does not push itself forward while the draw is the way to them
    await expect(page.locator("#draw-calendar")).to_contain_text("Sorteo abierto: anotate hasta el")
    await expect(page.locator("#draw-calendar")).to_contain_text(closes_on_the_office_clock)
    await expect(page.locator("#waitlist-open")).to_be_visible()
    await expect(page.locator("#waitlist-form")).to_have_count(0)
    form = page.locator("#draw-form")
    await expect(form.get_by_label("Desde el día")).to_have_value(city.days[0].isoformat())
    await expect(form.get_by_label("Hasta el día")).to_have_value(city.days[-1].isoformat())
    await _fill_citizen(form, "Beto Gómez", "31222333", "beto@example.org")
    await check_page(page, "booking-draw-form")
    await form.get_by_role("button", name="Anotarme en el sorteo").click()

    done = page.locator("#draw-done")
    await expect(done).to_contain_text("estás en el sorteo")
    assert await scalar(state, "SELECT status::text FROM draw_entries") == "ENTERED"
    link = await done.get_by_role("link", name="Ver mi participación en el sorteo").get_attribute("href")
    assert link is not None
    assert re.fullmatch(rf"{re.escape(site)}/draw#id=\d+&token=[^&]+", link), link

    await page.goto(link)
    status = page.locator("#status")
    await expect(status).to_contain_text("Estás anotado en el sorteo de Service pasaporte")
    await expect(status).to_contain_text("Se sortea el")
    await expect(page.get_by_role("button", name="Retirarme del sorteo")).to_be_visible()
    await check_page(page, "draw-entered")

    await close_window(state)
    assert await run_job(state) == {"drawn": 1}
    await page.reload()
    await expect(status).to_contain_text("¡Te tocó un turno de Service pasaporte en el sorteo!")
    code = await scalar(state, "SELECT code FROM bookings")
    await expect(status).to_contain_text(code)
    await expect(page.get_by_role("button", name="Retirarme del sorteo")).to_be_hidden()
    await check_page(page, "draw-won")
    await page.get_by_role("button", name="English").click()
    await expect(status).to_contain_text("You won a seat for Service pasaporte in the draw!")
    await expect(status).to_contain_text("Booking code")
    # the entry's token manages the booking it won
    await page.get_by_role("link", name="See, change or cancel the booking").click()
    await expect(page.locator("main")).to_contain_text(code)
    await expect(page.get_by_role("button", name=re.compile(r"^(Cancel booking|Cancelar turno)$"))).to_be_visible()
    assert blocked == []


async def test_a_draw_entry_is_withdrawn_from_its_page(
    site: str, context: BrowserContext, api: Api, state: AppState
) -> None:
    await draw_city(api, state)
    page, _ = await _page(context, f"{site}/")
    await page.get_by_label("Buscar trámite").fill("pasaporte")
    await page.get_by_role("button", name=re.compile("Service pasaporte")).click()
    form = page.locator("#draw-form")
    await _fill_citizen(form, "Ceci Díaz", "32333444", "ceci@example.org")
    await form.get_by_role("button", name="Anotarme en el sorteo").click()
    link = await page.get_by_role("link", name="Ver mi participación en el sorteo").get_attribute("href")
    assert link
    await page.goto(link)
    await page.get_by_role("button", name="Retirarme del sorteo").click()
    await expect(page.locator("#status")).to_contain_text("Te retiraste del sorteo")
    assert await scalar(state, "SELECT status::text FROM draw_entries") == "WITHDRAWN"


async def test_a_draw_entry_that_found_no_seat_links_to_its_place_on_the_waitlist(
    site: str, context: BrowserContext, api: Api, state: AppState
) -> None:
    city = await draw_city(api, state)
    # every seat starts at 09:00 or later: nothing suits someone who can come only before 08:00
    request = city.request(person(7), latest="08:00")
    entered = (await api.run(ENTER, {"i": request}))["enterDraw"]
    assert entered["__typename"] == "DrawEntry", entered
    await close_window(state)
    assert await run_job(state) == {"drawn": 1}
    page, blocked = await _page(context, f"{site}/draw#id={entered['id']}&token={entered['manageToken']}")
    await expect(page.locator("#status")).to_contain_text("Estás en la lista de espera, en el lugar 1")
    await check_page(page, "draw-waitlisted")
    await page.get_by_role("link", name="Ver mi lugar en la lista de espera").click()
    await expect(page.get_by_role("status")).to_contain_text("lugar 1")
    assert blocked == []
