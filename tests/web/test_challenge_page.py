"""The booking page solves the proof-of-work challenge in real Chromium, against a real `serve` that gives no
free bookings: with the vendored altcha component and its Web Worker under the pages' CSP, ahead of time for
an ALWAYS procedure and when `book` answers ChallengeRequired for an ADAPTIVE one; the citizen only books."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import bookable_slots, scalar
from tests.support.browser import PHONE, ensure_chromium
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def strict_site(settings: Settings) -> Iterator[str]:
    """A `serve` where every anonymous booking of an ADAPTIVE procedure needs a challenge."""
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
    yield opened
    await opened.close()


@pytest.mark.parametrize("policy", ["ALWAYS", "ADAPTIVE"])
async def test_the_booking_page_solves_the_challenge_and_books(
    strict_site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState, policy: str
) -> None:
    await bookable_slots(api, admin_token, challengePolicy=policy)
    page = await context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security" in message.text else None)
    await page.goto(f"{strict_site}/")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    await page.locator("button.slot").first.click()
    await page.get_by_label("Nombre y apellido").fill("Ana Pérez")
    await page.get_by_label("Número de documento").fill("30123456")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_role("button", name="Confirmar turno").click()

    await expect(page.get_by_role("heading", name="¡Listo! Tu turno está reservado")).to_be_visible(timeout=60_000)
    assert await scalar(state, "SELECT count(*) FROM bookings WHERE channel = 'WEB'") == 1
    # the booking went through the gate with a solution, which is now spent
    assert len(await state.redis.keys("turnero:challenge:used:*")) == 1
    assert blocked == []
