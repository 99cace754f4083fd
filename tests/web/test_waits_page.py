"""The public wait times page (/waits, issue 17 point 5) in real Chromium against a real `serve`: reached from the
landing page, it lists each office's queues with the people waiting and the estimate, the very figures the
manager's console shows for the same office; in Spanish by default, in English when the browser asks; axe finds
nothing serious."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.api import STAFF_PASSWORD, Api
from tests.support.browser import PHONE, check_page, ensure_axe
from tests.support.front_desk import front_desk

pytestmark = pytest.mark.slow
ZONE = "America/Argentina/Cordoba"
# each row of a table: its cells' text
ROWS = "(rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent.trim()))"


@pytest.fixture
async def english(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(locale="en-GB", timezone_id=ZONE, viewport=PHONE)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def console_queues(context: BrowserContext, site: str) -> list[list[str]]:
    """The manager's "office now" panel: per procedure waited for, its name, people waiting and estimate."""
    console = await context.new_page()
    await console.goto(f"{site}/console")
    await console.get_by_label("Usuario").fill("manager-centro")
    await console.get_by_label("Contraseña").fill(STAFF_PASSWORD)
    await console.get_by_role("button", name="Ingresar").click()
    await console.get_by_role("link", name="La oficina ahora").click()
    await expect(console.locator("#office-queues tr")).to_have_count(2)
    rows = await console.locator("#office-queues tr").evaluate_all(ROWS)
    await console.close()
    return sorted([name, waiting, estimate] for name, waiting, _, _, estimate in rows)


async def waits_rows(page: Page, office_id: str) -> list[list[str]]:
    rows = await page.locator(f'[data-office="{office_id}"] tbody tr').evaluate_all(ROWS)
    return sorted(row for row in rows if row[1] != "0")


async def test_the_page_shows_what_the_console_shows(
    site: str, context: BrowserContext, english: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await front_desk(
        api, admin_token, services=("dni", "pasaporte"), desks={"1": ("dni",), "2": ("dni", "pasaporte")}
    )
    await front_desk(api, admin_token, slug="norte", address="Av. Colón 1200")
    await api.staff_token(admin_token, "manager-centro", "MANAGER", front.office_id)
    for service in ("dni", "dni", "dni", "pasaporte"):
        assert (await front.issue(service))["__typename"] == "Ticket"
    assert (await front.call("1"))["__typename"] == "Ticket"

    # the landing page leads to it
    page = await context.new_page()
    await page.goto(f"{site}/")
    await page.get_by_role("link", name="¿Vas sin turno? Mirá cuánto se espera ahora en cada oficina").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Esperas en las oficinas ahora")
    centro = page.get_by_role("region", name="Office centro")
    await expect(centro.get_by_role("row")).to_have_count(3)
    await expect(centro).to_contain_text("Abierta ahora")
    await expect(page.get_by_role("region", name="Office norte")).to_contain_text("Av. Colón 1200")
    shown = await waits_rows(page, front.office_id)

    assert shown == await console_queues(context, site)
    assert [row[:2] for row in shown] == [["Service dni", "2"], ["Service pasaporte", "1"]]
    await check_page(page, "waits")
    await page.emulate_media(media="print")
    await expect(page.locator(".topbar")).to_be_hidden()
    await expect(centro.get_by_role("row")).to_have_count(3)

    # a browser that asks for English reads it in English, with the same figures
    visitor = await english.new_page()
    await visitor.goto(f"{site}/waits")
    await expect(visitor.get_by_role("heading", level=1)).to_have_text("Waiting times at the offices now")
    await expect(visitor.get_by_role("region", name="Office centro")).to_contain_text("Open now")
    await expect(visitor.locator(f'[data-office="{front.office_id}"] tbody tr')).to_have_count(2)
    assert [row[:2] for row in await waits_rows(visitor, front.office_id)] == [r[:2] for r in shown]
    await check_page(visitor, "waits-en")
    await visitor.set_viewport_size(PHONE)
    assert await visitor.evaluate("document.scrollingElement.scrollWidth <= innerWidth")  # no sideways scrolling
