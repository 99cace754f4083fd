"""The catalogue in English on every English page (issue 17), in real Chromium set to en-US: the landing page's
catalogue, the booking steps and their confirmation, the manage page, the ticket page, the line joined from
home, the waiting-room TV and the public wait times name the procedure as its English translation says, and
never in Spanish.

The kiosk is not a web page (kiosk_client/, which asks the API in its own language); the console is for staff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.api import Api
from tests.support.booking import ZONE
from tests.support.browser import PHONE, ensure_axe
from tests.support.front_desk import FrontDesk, front_desk

pytestmark = pytest.mark.slow

SPANISH = {"name": "Renovación de DNI", "category": "Documentación", "document": "DNI anterior"}
ENGLISH = {"name": "National ID card renewal", "category": "Identity documents", "document": "Previous ID card"}
PROCEDURE: dict[str, Any] = {
    "slug": "dni",
    "name": SPANISH["name"],
    "durationMinutes": 15,
    "ticketPrefix": "D",
    "category": SPANISH["category"],
    "description": "Actualización del DNI por vencimiento.",
    "requiredDocuments": [SPANISH["document"]],
    "translations": [
        {
            "locale": "en",
            "name": ENGLISH["name"],
            "category": ENGLISH["category"],
            "description": "Updating the ID card when it expires.",
            "requiredDocuments": [ENGLISH["document"]],
        }
    ],
}


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A phone in Córdoba whose browser speaks English (navigator.language en-US, Accept-Language en-US)."""
    opened = await browser.new_context(locale="en-US", timezone_id=ZONE, viewport=PHONE)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def english_city(api: Api, admin: str) -> FrontDesk:
    """One office that takes its line from home, offering the procedure, bookable tomorrow."""
    front = await front_desk(api, admin, services=("dni",), remoteQueue=True)
    result = await api.run(
        "mutation($i: ServiceInput!) { upsertService(input: $i) { __typename } }", {"i": PROCEDURE}, admin
    )
    assert result["upsertService"]["__typename"] == "Service", result
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    agenda = await api.agenda(
        admin,
        officeId=front.office_id,
        serviceId=front.services["dni"],
        weekdays=[tomorrow.isoweekday()],
        startTime="09:00",
        endTime="12:00",
        slotMinutes=60,
        capacity=2,
        validFrom=tomorrow.isoformat(),
        validTo=tomorrow.isoformat(),
    )
    assert agenda["__typename"] == "Agenda", agenda
    await api.release(admin, front.office_id)
    return front


async def reads_english(page: Page, where: str) -> None:
    """The page names the procedure in English, and nowhere in Spanish."""
    await expect(page.locator("body")).to_contain_text(ENGLISH["name"])
    text = await page.locator("body").inner_text()
    assert SPANISH["name"] not in text, where
    assert await page.locator("html").get_attribute("lang") == "en", where


async def test_the_english_catalogue_shows_on_every_english_page(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await english_city(api, admin_token)

    # the landing page: the whole catalogue, grouped by the English category
    page = await context.new_page()
    await page.goto(f"{site}/")
    await expect(page.locator("body")).to_contain_text(ENGLISH["category"])
    await reads_english(page, "landing")
    assert SPANISH["category"] not in await page.locator("body").inner_text()

    # booking: the search finds it by its English name, and what to bring is in English
    await page.get_by_label("Search procedures").fill("renewal")
    await page.get_by_role("button", name=ENGLISH["name"]).first.click()
    await expect(page.get_by_text(ENGLISH["document"])).to_be_visible()
    await reads_english(page, "booking")
    assert SPANISH["document"] not in await page.locator("body").inner_text()
    await page.locator("button.slot").first.click()
    await page.get_by_label("Full name", exact=True).fill("Ana Pérez")
    await page.get_by_label("ID document number").fill("30123456")
    await page.get_by_label("E-mail").fill("ana@example.org")
    await page.get_by_role("button", name="Confirm booking").click()
    await expect(page.get_by_role("heading", name="Done! Your appointment is booked")).to_be_visible()
    await expect(page.locator("#done-summary")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "confirmation")
    # switched to Spanish and back, the confirmation reads the booking again in each language
    await page.get_by_role("button", name="Español").click()
    await expect(page.locator("#done-summary")).to_contain_text(SPANISH["name"])
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#done-summary")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "confirmation again")

    # the manage page, from the confirmation's link
    manage = await page.get_by_role("link", name="See or change my booking").get_attribute("href")
    assert manage is not None
    await page.goto(f"{site}{manage}")
    await expect(page.get_by_text(ENGLISH["document"])).to_be_visible()
    await reads_english(page, "manage")

    # the ticket page of a ticket taken at the kiosk
    ticket = await front.issue("dni")
    await page.goto(f"{site}/ticket/{quote(ticket['id'])}")
    await expect(page.locator("#service")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "ticket")

    # joining the line from home
    await page.goto(f"{site}/join")
    await expect(page.get_by_label("Procedure")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "join")

    # the waiting-room TV, whose line has the ticket in it
    await page.goto(f"{site}/display/{front.office_id}?token={quote(front.display)}")
    await expect(page.locator("#queues")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "display")

    # the public wait times, where the same line is listed
    await page.goto(f"{site}/waits")
    await expect(page.locator("main")).to_contain_text(ENGLISH["name"])
    await reads_english(page, "waits")


async def test_the_same_pages_in_spanish_keep_the_citys_own_words(
    site: str, browser: Browser, api: Api, admin_token: str
) -> None:
    front = await english_city(api, admin_token)
    spanish = await browser.new_context(locale="es-AR", timezone_id=ZONE, viewport=PHONE)
    try:
        page = await spanish.new_page()
        await page.goto(f"{site}/")
        await expect(page.locator("body")).to_contain_text(SPANISH["name"])
        assert ENGLISH["name"] not in await page.locator("body").inner_text()
        ticket = await front.issue("dni")
        await page.goto(f"{site}/ticket/{quote(ticket['id'])}")
        await expect(page.locator("#service")).to_contain_text(SPANISH["name"])
        # the page's own language switch reads the procedure again in the language chosen
        await page.get_by_role("button", name="English").click()
        await expect(page.locator("#service")).to_contain_text(ENGLISH["name"])
    finally:
        await spanish.close()
