"""The waiting-room TV in real Chromium: one screen, never scrolled, at 1920x1080 and 1280x720 for an office of
50 procedures; only the queues someone is in, a page at a time; the office's own clock even with a bad token; a
transfer shown as "D-002 → C-004" on the TV and explained on the ticket page, which tells the same wait as the
TV; a finished ticket's page leads to the feedback form and to booking again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright, expect

from core.settings import Settings
from tests.support.api import Api
from tests.support.browser import TV, check_page, ensure_axe, ensure_chromium
from tests.support.front_desk import TRANSFER, FrontDesk, front_desk
from tests.support.processes import environment, serving

STAFF_PASSWORD = "a long password 1"  # what Api.staff_token gives every staff user

pytestmark = pytest.mark.slow
SMALL_TV = ViewportSize(width=1280, height=720)
# what a citizen reads on a real board: long names, cut with an ellipsis rather than wrapped
NAMES = (
    "Renovación de licencia de conducir",
    "Partida de nacimiento",
    "Certificado de domicilio",
    "Habilitación comercial",
    "Libre deuda de tasas municipales",
)
# the page's rows that are shown now, and whether each lies inside the window
VISIBLE_ROWS = """() => [...document.querySelectorAll('#queues tbody tr')].filter((r) => !r.hidden)
    .map((r) => [r.querySelector('th').textContent, r.getBoundingClientRect().bottom <= innerHeight])"""
ALL_ROWS = "() => [...document.querySelectorAll('#queues tbody tr th')].map((th) => th.textContent)"
FITS = "() => document.scrollingElement.scrollHeight <= innerHeight"


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
    # the TV's own clock is UTC, as a kiosk PC's often is: the board must show the office's time anyway
    opened = await browser.new_context(locale="es-AR", timezone_id="UTC", viewport=TV)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def _display(context: BrowserContext, site: str, front: FrontDesk, token: str | None = None) -> Page:
    page = await context.new_page()
    await page.goto(f"{site}/display/{front.office_id}?token={quote(token or front.display)}")
    return page


def _service_name(index: int) -> str:
    return f"{NAMES[index % len(NAMES)]} {index:02d}"


async def test_a_fifty_procedure_office_fits_one_screen(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    slugs = tuple(f"p{index:02d}" for index in range(50))
    front = await front_desk(
        api, admin_token, slug="big", services=slugs, desks={"Box 4": slugs, "Ventanilla 2": slugs}
    )
    for index, slug in enumerate(slugs):
        await api.run(
            "mutation($i: ServiceInput!) { upsertService(input: $i) { __typename } }",
            {"i": {"slug": slug, "name": _service_name(index), "durationMinutes": 15, "ticketPrefix": "P"}},
            admin_token,
        )
    waiting = [index for index in range(50) if index % 5 != 0]  # 40 queues with people in them
    for index in waiting:
        await front.issue(slugs[index])
    expected = sorted(_service_name(index) for index in waiting)

    display = await _display(context, site, front)
    await expect(display.locator("#board")).to_be_visible()
    await expect(display.locator("#latest")).to_contain_text("Todavía no hubo llamados")
    for size in (TV, SMALL_TV):
        await display.set_viewport_size(size)
        await display.wait_for_timeout(300)
        assert await display.evaluate(FITS), size
        # only the 40 queues someone is in, each on some page; none of the ten empty ones
        assert sorted(await display.evaluate(ALL_ROWS)) == expected
        shown = await display.evaluate(VISIBLE_ROWS)
        assert 0 < len(shown) < len(expected)
        assert all(inside for _, inside in shown), shown
        pages = -(-len(expected) // len(shown))
        await expect(display.locator("#page")).to_have_text(f"1/{pages}")
    # the page turns by itself and shows the next rows
    first_page = [name for name, _ in await display.evaluate(VISIBLE_ROWS)]
    await expect(display.locator("#page")).to_have_text(re.compile(r"^2/\d+$"), timeout=12000)
    assert set(first_page).isdisjoint(name for name, _ in await display.evaluate(VISIBLE_ROWS))

    called = await front.call("Box 4")
    # the call reaches the TV within a second, large; the desk's own name is not prefixed with "Puesto"
    await expect(display.locator("#latest .number")).to_have_text(called["number"], timeout=1000)
    await expect(display.locator("#latest .to")).to_have_text("Box 4")
    for size in (TV, SMALL_TV):
        await display.set_viewport_size(size)
        await display.wait_for_timeout(300)
        assert await display.evaluate(FITS), size
        box = await display.locator("#latest").bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= size["height"]
    await check_page(display, "display-fifty")


async def test_a_transfer_on_the_tv_and_on_the_ticket_page(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await front_desk(
        api,
        admin_token,
        slug="transfers",
        services=("dni", "cedula"),
        desks={"1": ("dni", "cedula"), "Ventanilla 2": ("dni",)},
        timezone="Asia/Tokyo",
    )
    # a bad token: no board, but the office's name and its own time (Tokyo, not the TV's UTC)
    refused = await _display(context, site, front, token="not-a-token")
    await expect(refused.locator("#status")).to_contain_text("no tiene permiso")
    await expect(refused.locator("#office-name")).to_have_text("Office transfers")
    now = datetime.now(UTC)
    tokyo = {(now + timedelta(minutes=m)).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") for m in (0, 1)}
    await expect(refused.locator("#clock")).to_have_text(re.compile("|".join(tokyo)))
    assert now.strftime("%H:%M") not in tokyo

    display = await _display(context, site, front)
    # before the first call: the office, the time and what to do, not an empty half screen
    await expect(display.locator("#latest")).to_contain_text("Sacá tu número")
    await expect(display.locator("#clock")).to_have_text(re.compile("|".join(tokyo)))
    await expect(display.locator("#nobody")).to_be_visible()
    await check_page(display, "display-idle")

    first = await front.issue("dni")  # D-001
    second = await front.issue("dni")  # D-002
    await front.issue("cedula")  # C-003
    await front.issue("cedula")  # C-004
    # the ticket page tells the wait that the TV showed for its queue just before it was issued
    await expect(display.locator("#queues tbody tr", has_text="Service cedula").locator("td").first).to_have_text("2")
    board_wait = display.locator("#queues tbody tr", has_text="Service dni").locator("td").nth(1)
    await expect(board_wait).to_have_text(re.compile(r"^\d+ min$"))
    told = await board_wait.text_content()
    third = await front.issue("dni")  # D-005
    ticket_page = await context.new_page()
    await ticket_page.goto(f"{site}/ticket/{third['id']}")
    await expect(ticket_page.locator("#estimate")).to_have_text(told or "")
    assert third["estimatedWaitMinutes"] == int((told or "").split()[0])

    assert (await front.call("1"))["number"] == first["number"]
    await front.move("startService", first["id"])
    await front.move("completeTicket", first["id"])
    assert (await front.call("1"))["number"] == second["number"] == "D-002"
    await ticket_page.goto(f"{site}/ticket/{second['id']}")
    await expect(ticket_page.locator("#number")).to_have_text("D-002")
    moved = (await api.run(TRANSFER, {"t": second["id"], "s": front.services["cedula"]}, front.clerk))["transferTicket"]
    assert moved["number"] == "C-006"
    # the TV: the call it showed now says where the citizen went
    await expect(display.locator("#latest .number")).to_have_text("D-002 → C-006")
    # the ticket page follows the new ticket and says why the number changed
    await expect(ticket_page.locator("#number")).to_have_text("C-006")
    await expect(ticket_page.locator("#changed")).to_contain_text("Tu número cambió: D-002 → C-006")
    await check_page(ticket_page, "ticket-transferred")

    assert (await front.call("1"))["number"] == "C-006"  # it kept D-002's place
    await expect(display.locator("#latest .number")).to_have_text("D-002 → C-006")
    await expect(display.locator("#calls")).to_contain_text("D-001")
    # D-002's own call is told by "D-002 → C-006" above, not once more under the earlier calls
    await expect(display.locator("#calls")).not_to_contain_text("D-002")
    await expect(display.locator("#latest .to")).to_have_text("Puesto 1")
    # the clerk's console says the same of the ticket at the desk
    console = await context.new_page()
    await console.goto(f"{site}/console")
    await console.get_by_label("Usuario").fill("clerk-transfers")
    await console.get_by_label("Contraseña").fill(STAFF_PASSWORD)
    await console.get_by_role("button", name="Ingresar").click()
    await console.get_by_label("Puesto", exact=True).select_option(label="1")
    await expect(console.locator("#current .number")).to_have_text("D-002 → C-006")
    await console.close()
    await display.set_viewport_size(SMALL_TV)
    await display.wait_for_timeout(300)
    assert await display.evaluate(FITS)
    await check_page(display, "display-transfer")

    # served: the page offers the feedback form and booking again
    await front.move("startService", moved["id"])
    await front.move("completeTicket", moved["id"])
    await expect(ticket_page.locator("#status")).to_have_text("Atendido")
    link = ticket_page.get_by_role("link", name="Contanos cómo fue tu visita")
    await expect(link).to_have_attribute("href", re.compile(r"^/feedback#token=[\w-]{43}$"))
    await expect(ticket_page.get_by_role("link", name="Pedir otro turno")).to_have_attribute("href", "/")
    await check_page(ticket_page, "ticket-done")
    await link.click()
    await ticket_page.get_by_label("4 · Bien").check()
    await ticket_page.get_by_role("button", name="Enviar").click()
    await expect(ticket_page.get_by_role("status")).to_have_text("¡Gracias por tu opinión!")
