"""The join-from-home page (/join, issue 16 point 6) in real Chromium against a real `serve` that gives no free
places (every anonymous joinQueue solves a challenge): the citizen picks the office and procedure, gives a name and
an e-mail, and gets the number, the code for the kiosk and the live ticket page, which says to wait outside. Axe
finds nothing serious on either page, in Spanish and English."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.browser import PHONE, check_page, ensure_axe, ensure_chromium
from tests.support.front_desk import front_desk
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def strict_site(settings: Settings) -> Iterator[str]:
    with serving(suite_environment(settings, TURNERO_CHALLENGE_FREE_BOOKINGS="0")) as base:
        yield base


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = ensure_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(locale="es-AR", timezone_id="America/Argentina/Cordoba", viewport=PHONE)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def test_joining_from_home_on_the_page_gives_a_number_a_code_and_the_live_page(
    strict_site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    await front_desk(api, admin_token, slug="norte")  # not taking people from home: not offered
    front = await front_desk(api, admin_token, services=("dni", "tasas"), remoteQueue=True, remoteHeadInPlaces=1)
    first = await front.issue()
    page = await context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security" in message.text else None)

    await page.goto(f"{strict_site}/join")
    await expect(page.get_by_label("Trámite")).to_contain_text("Service tasas")
    assert await page.get_by_label("Oficina").locator("option").all_inner_texts() == ["Office centro"]
    await check_page(page, "join")
    await page.set_viewport_size(PHONE)
    await page.get_by_role("button", name="Sumarme a la fila").click()
    await expect(page.locator("#join-name-error")).to_have_text("Escribí tu nombre y apellido.")
    await expect(page.locator("#join-email-error")).to_have_text("Escribí un correo o un teléfono.")
    await page.get_by_label("Trámite").select_option(label="Service dni")
    await page.get_by_label("Nombre y apellido").fill("Ana Pérez")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_role("button", name="Sumarme a la fila").click()

    await expect(page.get_by_role("heading", name="Ya estás en la fila")).to_be_visible(timeout=60_000)
    await expect(page.locator("#join-number")).to_have_text("D-002")
    code = await page.locator("#join-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{6}", code), code
    await expect(page.locator("#join-where")).to_have_text("Service dni en Office centro. Lugar en la fila: 2.")
    await check_page(page, "join-done")
    assert await scalar(state, "SELECT remote_code FROM tickets WHERE remote") == code
    assert len(await state.redis.keys("turnero:challenge:used:*")) == 1  # it went through the challenge

    await page.set_viewport_size(PHONE)
    await page.get_by_role("link", name="Seguir mi lugar en la fila").click()
    await expect(page.locator("#remote")).to_contain_text("Esperás afuera")
    await expect(page.locator("#remote")).to_contain_text(code)
    await expect(page.locator("#position")).to_have_text("2")
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#remote")).to_contain_text("You are waiting outside")
    await check_page(page, "ticket-remote")
    # the one ahead is served: now at the front, the page tells them to come in (live, no reload)
    await front.call()
    for step in ("startService", "completeTicket"):
        assert (await front.move(step, first["id"]))["__typename"] == "Ticket"
    await expect(page.locator("#remote")).to_contain_text("Come in now! When you arrive, type your code at the kiosk")
    assert blocked == []


async def test_the_tv_shows_the_buildings_occupancy_where_the_office_sets_a_maximum(
    strict_site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await front_desk(api, admin_token, maxOccupancy=5)
    await front.issue()
    page = await context.new_page()
    await page.goto(f"{strict_site}/display/{front.office_id}?token={front.display}")
    await expect(page.locator("#occupancy")).to_have_text("Adentro: 1 de 5")
    await api.office(admin_token, maxOccupancy=0)  # no maximum: nothing to show
    await page.reload()
    await expect(page.locator("#board")).to_be_visible()
    await expect(page.locator("#occupancy")).to_be_hidden()
