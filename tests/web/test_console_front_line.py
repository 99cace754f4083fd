"""The console for the people at the front line, in real Chromium against a real `main.py serve`: a clerk picks
their own desk (remembered by the browser), the walk-in form offers the desk's own procedure first, a walk-in
outside opening hours is warned about, a no-show asks first, and a status follows the language; the phone line
(an OPERATOR of every office) finds a caller by document and reads a new booking's code back, spelled, with a
printable summary; the analytics page fits a phone and says plainly what it shows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from core.settings import Settings
from tests.support.api import ADMIN_PASSWORD, Api
from tests.support.booking import ZONE, book, bookable_slots, citizen
from tests.support.browser import PHONE, check_page, ensure_axe, ensure_chromium
from tests.support.front_desk import front_desk
from tests.support.processes import environment, serving

pytestmark = pytest.mark.slow
STAFF_PASSWORD = "a long password 1"  # what Api.staff_token gives every staff user


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[str]:
    env = environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY=settings.secret_key.decode(),
    )
    with serving(env) as base:
        yield base


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = ensure_chromium()
    ensure_axe()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(locale="es-AR", timezone_id=ZONE, viewport={"width": 1280, "height": 900})
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def sign_in(context: BrowserContext, site: str, username: str, password: str = STAFF_PASSWORD) -> Page:
    page = await context.new_page()
    await page.goto(f"{site}/console")
    await page.get_by_label("Usuario").fill(username)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_role("button", name="Ingresar").click()
    return page


async def test_the_clerks_desk_walk_ins_no_shows_and_language(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    # open only on another weekday than today (office time): any walk-in now is outside the opening hours
    today = datetime.now(ZoneInfo(ZONE)).isoweekday()
    hours = [{"weekday": today % 7 + 1, "opens": "08:00", "closes": "14:00"}]
    # "Service alta" comes first alphabetically, but desk 1 serves only dni
    front = await front_desk(
        api, admin_token, services=("alta", "dni"), desks={"1": ("dni",), "2": ("alta",)}, openingHours=hours
    )
    console = await sign_in(context, site, "clerk-centro")
    await expect(console.get_by_role("heading", name="Mi puesto")).to_be_visible()

    # no desk is chosen for the clerk: they pick theirs, and this browser remembers it
    await expect(console.get_by_label("Puesto", exact=True)).to_have_value("")
    await expect(console.locator("#current")).to_contain_text("Elegí tu puesto")
    await expect(console.get_by_role("button", name=re.compile("Llamar al siguiente"))).to_be_disabled()
    await console.get_by_label("Puesto", exact=True).select_option(label="1")
    await console.reload()
    await expect(console.get_by_label("Puesto", exact=True)).to_have_value(front.desks["1"])

    # the walk-in form offers the desk's own procedure, and warns that the office is closed
    await console.locator("body").press("w")
    walk_in = console.get_by_role("form", name="Turno sin reserva")
    await expect(walk_in.get_by_label("Trámite")).to_have_value(front.services["dni"])
    await expect(console.locator("#walkin-warning")).to_contain_text("fuera de su horario de atención")
    await check_page(console, "console-walkin-closed")
    await console.set_viewport_size({"width": 1280, "height": 900})
    await walk_in.get_by_role("button", name="Dar turno").click()
    await expect(console.locator("#desk-status")).to_contain_text("Turno sin reserva: D-001")
    await expect(console.locator("#line")).to_contain_text("D-001")  # in the clerk's own line

    # "no-show" asks first: nothing happens until the clerk confirms
    await console.locator("body").press("n")
    await expect(console.locator("#current")).to_contain_text("D-001")
    await console.locator("body").press("x")
    await expect(console.get_by_role("heading", name="¿No se presentó?")).to_be_focused()
    await expect(console.locator("#noshow-question")).to_contain_text("D-001")
    await console.get_by_role("button", name="No, sigue llamado").click()
    await front.issue("alta")  # an event of the office: the console redraws from the server
    await expect(console.locator("#current")).to_contain_text("Llamado")
    await console.locator("body").press("x")
    await console.get_by_role("button", name="Sí, no se presentó").click()
    await expect(console.locator("#desk-status")).to_contain_text("D-001 no se presentó")
    await expect(console.locator("#current")).to_contain_text("Puesto libre")

    # the status on screen follows the language
    await console.get_by_role("button", name="English").click()
    await expect(console.locator("#desk-status")).to_have_text("D-001 did not show up.")
    await expect(console.locator("#walkin-service optgroup").first).to_have_attribute("label", "Served at your desk")
    await expect(console.locator("#walkin-service")).to_have_value(front.services["dni"])
    await expect(console.locator("#error")).to_be_empty()


async def test_the_phone_line_finds_a_caller_and_reads_the_code_back(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    slots = await bookable_slots(api, admin_token, requiredDocuments=["DNI anterior", "Partida de nacimiento"])
    await api.office(admin_token, slug="centro", address="Av. Colón 123")
    await api.office(admin_token, slug="norte")
    await api.staff_token(admin_token, "linea.0800", "OPERATOR", None)  # every office
    held = (await book(api, slots[0], citizen=citizen("30123456")))["booking"]["code"]

    console = await sign_in(context, site, "linea.0800")
    await expect(console.get_by_role("heading", name="Atención telefónica")).to_be_visible()
    await expect(console.locator("#tabs a")).to_have_count(1)  # the phone line and nothing else
    offices = await console.locator("#office option").all_inner_texts()
    assert sorted(offices) == ["Office centro", "Office norte"]

    # a caller who lost their code: found by their document, however they say it
    await console.get_by_label("Buscar por").select_option(label="Número de documento")
    await expect(console.locator("#find-value-label")).to_have_text("Número de documento")
    await console.locator("#find-value").fill("30.123.456")
    await console.get_by_role("button", name="Buscar").click()
    await expect(console.locator("#found")).to_contain_text(held)
    await expect(console.locator("#found")).to_contain_text("Ana Pérez")

    # a new booking for a caller without e-mail: the code read back, spelled, and what to bring
    phone_line = console.get_by_role("region", name="Atención telefónica")
    await phone_line.get_by_label("Trámite", exact=True).select_option(label="Service dni")
    await console.locator("#phone-chooser button.slot").first.click()
    await phone_line.get_by_label("Nombre y apellido").fill("Juan Gómez")
    await phone_line.locator("#phone-document").fill("28999888")
    await console.get_by_role("button", name="Reservar").click()
    read_back = console.get_by_role("region", name="Leele esto a quien llama")
    await expect(read_back).to_be_visible()
    code = (await console.locator(".readback-code").inner_text()).strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code), code
    spelled = f"{'-'.join(code[:4])} · {'-'.join(code[4:])}"
    await expect(read_back).to_contain_text(spelled)
    await expect(read_back).to_contain_text("Av. Colón 123")
    await expect(read_back).to_contain_text("Partida de nacimiento")
    await expect(read_back).to_contain_text(re.compile(r"\d\d:\d\d"))
    await expect(read_back.get_by_role("button", name="Imprimir")).to_be_visible()
    await check_page(console, "console-phone-readback")
    await console.set_viewport_size({"width": 1280, "height": 900})

    # printed: the summary alone
    await console.emulate_media(media="print")
    await expect(read_back).to_be_visible()
    await expect(console.locator("#find-form")).to_be_hidden()
    await expect(console.locator("header.topbar")).to_be_hidden()
    await console.emulate_media(media="screen")

    # in English, the same read-back in English words
    await console.get_by_role("button", name="English").click()
    english = console.get_by_role("region", name="Read this to the caller")
    await expect(english).to_contain_text(spelled)
    await expect(english.get_by_role("button", name="Print")).to_be_visible()
    await expect(console.locator("#phone-status")).to_contain_text(f"Booked. Code: {code}.")
    await expect(console.locator("#error")).to_be_empty()


async def test_the_analytics_page_fits_a_phone_and_speaks_plainly(
    site: str, context: BrowserContext, admin_token: str
) -> None:
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    await page.goto(f"{site}/console/analytics")
    await page.get_by_label("Usuario").fill("admin")
    await page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await expect(page.locator("#dashboard")).to_be_visible()
    await expect(page.locator("#summary-list")).to_contain_text("9 de cada 10 esperaron menos de")
    await expect(page.locator("#summary-list")).to_contain_text("Cuánto se desvió la espera anunciada")
    # no history: no map of two giant columns, a sentence instead
    await expect(page.locator("#heat-chart")).to_contain_text("Todavía no hay datos suficientes")
    await expect(page.locator("#heat-chart svg")).to_have_count(0)
    for details in await page.locator("details").all():
        await details.locator("summary").click()  # the data tables open, as wide as they get
    widths = await page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    assert max(widths[:2]) <= widths[2], widths

    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#summary-list")).to_contain_text("9 in 10 waited less than")
    await expect(page.locator("#summary-list")).to_contain_text("How far off the announced wait was")
