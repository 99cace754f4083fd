"""The three screens in real Chromium against a real `main.py serve`: a citizen books through the page, the
manage page cancels only when asked twice, a kiosk check-in and a clerk's call in the console reach the
display, and the display rides out the API restarting. Every page gets an axe-core scan and screenshots at
phone and TV sizes (var/artifacts/screenshots/)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from core.runtime import AppState
from core.settings import Settings
from resolvers.feedback.request import request_feedback
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, scalar
from tests.support.browser import PHONE, TV, check_page, ensure_axe, ensure_chromium
from tests.support.front_desk import booking_due_in, front_desk, ticket_pk
from tests.support.processes import environment, free_port, serving

pytestmark = pytest.mark.slow
CLERK_PASSWORD = "a long password 1"  # what Api.staff_token gives every staff user


def _env(settings: Settings) -> dict[str, str]:
    return environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY=settings.secret_key.decode(),
    )


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[str]:
    with serving(_env(settings)) as base:
        yield base


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = ensure_chromium()
    ensure_axe()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(locale="es-AR", timezone_id="America/Argentina/Cordoba", viewport=PHONE)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()


async def _open(context: BrowserContext, url: str) -> Page:
    page = await context.new_page()
    await page.goto(url)
    return page


async def test_a_citizen_books_through_the_page(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    await bookable_slots(api, admin_token, requiredDocuments=["DNI anterior", "Partida de nacimiento"])
    page = await _open(context, f"{site}/")
    await check_page(page, "booking-search")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    await expect(page.get_by_text("Partida de nacimiento")).to_be_visible()
    await page.locator("button.slot").first.click()
    # picking a time holds its seat while the form is filled in, and says for how long
    await expect(page.locator("#hold-time")).to_contain_text(re.compile(r"Te guardamos este horario [45]:\d\d"))
    assert await scalar(state, "SELECT count(*) FROM slot_holds WHERE expires_at > now()") == 1
    await page.get_by_role("button", name="Confirmar turno").click()
    # the form says what is missing, next to each field, and books nothing
    await expect(page.locator("#citizen-name-error")).to_be_visible()
    await page.get_by_label("Nombre y apellido").fill("Ana Pérez")
    await page.get_by_label("Número de documento").fill("30123456")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_role("button", name="Confirmar turno").click()
    await expect(page.get_by_role("heading", name="¡Listo! Tu turno está reservado")).to_be_visible()
    code = await page.locator("#code").inner_text()
    assert await scalar(state, "SELECT count(*) FROM slot_holds") == 0  # the booking took the held seat
    booked = await api.run(
        "query($c: String!) { bookingByCode(code: $c) { status channel citizen { name documentHint } } }",
        {"c": code},
        admin_token,
    )
    assert booked["bookingByCode"] == {
        "status": "BOOKED",
        "channel": "WEB",
        "citizen": {"name": "Ana Pérez", "documentHint": "***3456"},
    }
    assert (await page.locator("img.qr").get_attribute("src") or "").startswith("data:image/png;base64,")
    calendar = page.get_by_role("link", name="Agregar al calendario")
    assert await calendar.get_attribute("download") == f"{code}.ics"
    async with page.expect_download() as download_info:
        await calendar.click()
    ics = (await (await download_info.value).path()).read_text()
    assert "BEGIN:VEVENT" in ics
    assert "SUMMARY:Service dni" in ics
    manage = await page.get_by_role("link", name="Ver o cambiar mi turno").get_attribute("href")
    assert manage is not None
    assert manage.startswith(f"/manage?code={code}&token=")
    await check_page(page, "booking-confirmation")
    # the whole page in English
    await page.get_by_role("button", name="English").click()
    assert await page.locator("html").get_attribute("lang") == "en"
    await expect(page.get_by_role("heading", name="Done! Your appointment is booked")).to_be_visible()
    await expect(page.locator("#done-summary")).to_contain_text("Procedure")
    await expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    await expect(page.locator("#step-procedure")).to_be_hidden()


async def test_the_manage_page_cancels_only_when_confirmed(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    slots = await bookable_slots(api, admin_token)
    confirmation = await book(api, slots[0])
    code, token = confirmation["booking"]["code"], confirmation["manageToken"]
    status = "query($c: String!) { bookingByCode(code: $c) { status } }"
    slot_of = "query($c: String!) { bookingByCode(code: $c) { slot { id } } }"
    # the mail's link: /booking/CODE#token=…, opened twice (as a mail scanner would), changes nothing
    page = await _open(context, f"{site}/booking/{code}#token={quote(token)}")
    await expect(page.locator("#booking")).to_contain_text("Reservado")
    await page.reload()
    await expect(page.get_by_role("button", name="Cancelar turno")).to_be_visible()
    assert (await api.run(status, {"c": code}, admin_token))["bookingByCode"]["status"] == "BOOKED"
    await check_page(page, "manage")

    # rescheduling: pick another time, then confirm it
    page = await _open(context, f"{site}/manage?code={code}&token={quote(token)}")
    await page.get_by_role("button", name="Cambiar fecha u hora").click()
    await page.locator("button.slot").nth(1).click()
    assert (await api.run(slot_of, {"c": code}, admin_token))["bookingByCode"]["slot"]["id"] == slots[0]
    await page.get_by_role("button", name=re.compile("^Cambiar a ")).click()
    await expect(page.get_by_role("status")).to_contain_text("Listo: tu turno ahora es")
    moved = (await api.run(slot_of, {"c": code}, admin_token))["bookingByCode"]["slot"]["id"]
    assert moved in slots[1:]
    # the address keeps working with the token the reschedule gave back
    await page.reload()
    await expect(page.locator("#booking")).to_contain_text("Reservado")

    await page.get_by_role("button", name="Cancelar turno").click()
    await expect(page.get_by_role("heading", name="¿Querés cancelar este turno?")).to_be_focused()
    assert (await api.run(status, {"c": code}, admin_token))["bookingByCode"]["status"] == "BOOKED"
    await page.get_by_role("button", name="Sí, cancelar el turno").click()
    await expect(page.get_by_role("status")).to_contain_text("Tu turno quedó cancelado.")
    await expect(page.locator("#booking")).to_contain_text("Cancelado")
    assert (await api.run(status, {"c": code}, admin_token))["bookingByCode"]["status"] == "CANCELLED"
    await expect(page.get_by_role("button", name="Cancelar turno")).to_have_count(0)


async def test_the_mailed_link_confirms_a_pending_booking(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    slots = await bookable_slots(api, admin_token, confirmationRequired=True)
    confirmation = await book(api, slots[0])
    code, token = confirmation["booking"]["code"], confirmation["manageToken"]
    status = "query($c: String!) { bookingByCode(code: $c) { status } }"
    assert (await api.run(status, {"c": code}, admin_token))["bookingByCode"]["status"] == "PENDING"

    page = await _open(context, f"{site}/booking/{code}#token={quote(token)}")

    await expect(page.get_by_role("status")).to_contain_text("Tu turno quedó confirmado")
    await expect(page.locator("#booking")).to_contain_text("Reservado")
    assert (await api.run(status, {"c": code}, admin_token))["bookingByCode"]["status"] == "BOOKED"
    await expect(page.get_by_role("button", name="Confirmar mi turno")).to_have_count(0)
    await check_page(page, "manage-confirmed")


async def test_a_check_in_and_a_console_call_reach_the_display(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token, services=("dni", "licencia"), desks={"1": ("dni", "licencia")})
    display = await _open(context, f"{site}/display/{front.office_id}?token={quote(front.display)}")
    await display.set_viewport_size(TV)
    await expect(display.locator("#board")).to_be_visible()
    await expect(display.locator("#latest")).to_contain_text("Todavía no hubo llamados")

    console = await _open(context, f"{site}/console")
    await console.get_by_label("Usuario").fill("clerk-centro")
    await console.get_by_label("Contraseña").fill(CLERK_PASSWORD)
    await console.get_by_role("button", name="Ingresar").click()
    await expect(console.get_by_role("heading", name="Mi puesto")).to_be_visible()
    assert await console.evaluate("sessionStorage.getItem('turnero.staffToken')")
    await console.get_by_label("Puesto", exact=True).select_option(label="1")  # the clerk picks their desk

    code = await booking_due_in(front, state, 5)
    ticket = await front.check_in(code)  # at the kiosk
    assert ticket["__typename"] == "Ticket", ticket
    # the clerk's line shows the checked-in citizen, live
    await expect(console.locator("#line")).to_contain_text(ticket["number"])
    await expect(display.locator("#queues")).to_contain_text("1")
    ticket_page = await _open(context, f"{site}/ticket/{ticket['id']}")
    await expect(ticket_page.locator("#number")).to_have_text(ticket["number"])
    await expect(ticket_page.locator("#position")).to_have_text("1")
    await check_page(ticket_page, "ticket")
    await ticket_page.set_viewport_size(PHONE)

    await console.locator("body").press("n")  # the desk's shortcut for "call next"
    clicked = time.monotonic()
    await expect(display.locator("#latest")).to_contain_text(ticket["number"], timeout=1000)
    await expect(display.locator("#latest")).to_contain_text("Puesto 1")
    seen = time.monotonic() - clicked
    assert seen < 1, seen
    await expect(console.locator("#current")).to_contain_text(ticket["number"])
    await expect(ticket_page.locator("#called")).to_contain_text("Acercate al puesto 1")

    # the rest of the desk's buttons, by keyboard and by mouse
    await console.get_by_role("button", name=re.compile("Empezar atención")).click()
    await expect(console.locator("#current")).to_contain_text("En atención")
    await console.locator("body").press("c")
    await expect(console.locator("#current")).to_contain_text("Puesto libre")
    await console.get_by_role("button", name=re.compile("Turno sin reserva")).click()
    await (
        console.get_by_role("form", name="Turno sin reserva").get_by_label("Trámite").select_option(label="Service dni")
    )
    await console.get_by_role("button", name="Dar turno").click()
    await expect(console.locator("#desk-status")).to_contain_text("Turno sin reserva: D-002")
    await expect(console.locator("#line")).to_contain_text("D-002")
    # the walk-in came for the wrong procedure: called, then sent on to another, keeping their place
    await console.locator("body").press("n")
    await expect(console.locator("#current")).to_contain_text("D-002")
    await console.locator("body").press("t")
    await expect(console.get_by_role("heading", name="Derivar el turno")).to_be_focused()
    await console.get_by_label("Destino").select_option(label="Service licencia")
    await console.get_by_role("button", name="Derivar", exact=True).click()
    await expect(console.locator("#desk-status")).to_contain_text("Derivado: ahora es el L-003")
    await expect(console.locator("#current")).to_contain_text("Puesto libre")
    await expect(console.locator("#line")).to_contain_text("L-003")
    await check_page(console, "console-desk")
    await console.locator("body").press("n")
    await expect(display.locator("#latest")).to_contain_text("L-003")

    await check_page(display, "display")
    await check_page(ticket_page, "ticket-ended")
    await expect(console.locator("#error")).to_be_empty()

    # a manager of the office: the office's live state, with the line and every desk
    await api.staff_token(admin_token, "manager-centro", "MANAGER", front.office_id)
    clerk_token = await console.evaluate("sessionStorage.getItem('turnero.staffToken')")
    await console.get_by_role("button", name="Salir").click()
    # signing out ends the session on the server (logout), then forgets the token
    await expect(console.get_by_label("Usuario")).to_be_visible()
    assert await console.evaluate("sessionStorage.getItem('turnero.staffToken')") is None
    assert (await api.post("{ __typename }", token=clerk_token)).status_code == 401
    await console.get_by_label("Usuario").fill("manager-centro")
    await console.get_by_label("Contraseña").fill(CLERK_PASSWORD)
    await console.get_by_role("button", name="Ingresar").click()
    await console.get_by_role("link", name="La oficina ahora").click()
    await expect(console.locator("#office-desks")).to_contain_text("L-003")
    await expect(console.locator("#office-desks")).to_contain_text("Llamado")
    waiting = await front.issue("dni")  # the manager's screen follows the office live
    await expect(console.locator("#office-line")).to_contain_text(waiting["number"])
    await expect(console.locator("#office-queues")).to_contain_text("Service dni")
    await expect(console.get_by_role("link", name="Ver estadísticas de la oficina")).to_have_attribute(
        "href", "/console/analytics"
    )
    await check_page(console, "console-office")

    # the dashboard takes the console's session: no second sign-in
    await console.get_by_role("link", name="Ver estadísticas de la oficina").click()
    await expect(console.locator("#dashboard")).to_be_visible()
    await expect(console.locator("#signin")).to_be_hidden()
    await expect(console.locator("#summary-list")).not_to_be_empty()
    await check_page(console, "analytics")


async def test_the_display_survives_the_api_restarting(
    settings: Settings, context: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await front_desk(api, admin_token)
    first = await front.issue()
    port = free_port()
    env = _env(settings)
    with serving(env, port=port) as base:
        display = await _open(context, f"{base}/display/{front.office_id}?token={quote(front.display)}")
        await expect(display.locator("#board")).to_be_visible()
    # the API is down: the board says so instead of showing what may be stale
    await expect(display.locator("#status")).to_have_text("Reconectando…", timeout=15000)
    await expect(display.locator("#board")).to_be_hidden()
    called = await front.call()  # while the screen is away
    assert called["number"] == first["number"], called
    with serving(env, port=port):
        await expect(display.locator("#board")).to_be_visible(timeout=20000)
        await expect(display.locator("#latest")).to_contain_text(first["number"])
        await expect(display.locator("#status")).to_have_text("")
        second = await front.issue()
        await front.move("startService", called["id"])
        await front.move("completeTicket", called["id"])
        again = await front.call()
        assert again["number"] == second["number"], again
        await expect(display.locator("#latest")).to_contain_text(second["number"])


async def test_the_call_centre_finds_reschedules_cancels_and_books(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    slots = await bookable_slots(api, admin_token)
    office_id = await api.office(admin_token, slug="centro")
    await api.staff_token(admin_token, "operator-centro", "OPERATOR", office_id)
    code = (await book(api, slots[0]))["booking"]["code"]
    found = "query($c: String!) { bookingByCode(code: $c) { status channel slot { id } } }"

    console = await _open(context, f"{site}/console")
    await console.get_by_label("Usuario").fill("operator-centro")
    await console.get_by_label("Contraseña").fill(CLERK_PASSWORD)
    await console.get_by_role("button", name="Ingresar").click()
    # an operator has the phone line and nothing else
    await expect(console.get_by_role("heading", name="Atención telefónica")).to_be_visible()
    await expect(console.locator("#tabs a")).to_have_count(1)

    await console.get_by_label("Código del turno").fill(code.lower())
    await console.get_by_role("button", name="Buscar").click()
    await expect(console.locator("#found")).to_contain_text("Ana Pérez")
    await console.get_by_role("button", name="Cambiar fecha u hora").click()
    await console.locator("#found button.slot").first.click()  # the booked time is full: not offered
    await expect(console.locator("#phone-status")).to_contain_text("Turno cambiado")
    assert (await api.run(found, {"c": code}, admin_token))["bookingByCode"]["slot"]["id"] == slots[1]

    await console.get_by_role("button", name="Cancelar turno").click()
    assert (await api.run(found, {"c": code}, admin_token))["bookingByCode"]["status"] == "BOOKED"
    await console.get_by_role("button", name="Sí, cancelar").click()
    await expect(console.locator("#phone-status")).to_contain_text(f"El turno {code} quedó cancelado.")
    assert (await api.run(found, {"c": code}, admin_token))["bookingByCode"]["status"] == "CANCELLED"

    phone_line = console.get_by_role("region", name="Atención telefónica")
    await phone_line.get_by_label("Trámite", exact=True).select_option(label="Service dni")
    await console.locator("#phone-chooser button.slot").first.click()
    await phone_line.get_by_label("Nombre y apellido").fill("Juan Gómez")
    await phone_line.get_by_label("Número de documento").fill("28999888")
    await console.get_by_role("button", name="Reservar").click()
    await expect(console.locator("#phone-status")).to_contain_text("Código:")
    booked = re.search(r"Código: (\w+)\.", await console.locator("#phone-status").inner_text())
    assert booked is not None
    by_phone = (await api.run(found, {"c": booked.group(1)}, admin_token))["bookingByCode"]
    assert (by_phone["status"], by_phone["channel"]) == ("BOOKED", "PHONE")
    await check_page(console, "console-phone")


async def test_a_citizen_rates_the_visit(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token)
    ticket = await front.check_in(await booking_due_in(front, state, 5))
    await front.call()
    await front.move("startService", ticket["id"])
    await front.move("completeTicket", ticket["id"])
    async with state.engine.begin() as conn:
        token = await request_feedback(conn, state.secret_key, ticket_pk(ticket["id"]))
    assert token is not None
    page = await _open(context, f"{site}/feedback#token={quote(token)}")
    await page.get_by_role("button", name="Enviar").click()
    await expect(page.locator("#rating-error")).to_have_text("Elegí una calificación.")
    await page.get_by_label("4 · Bien").check()
    await page.get_by_label("Comentario (opcional)").fill("Rápido y amable")
    await check_page(page, "feedback")
    await page.get_by_role("button", name="Enviar").click()
    await expect(page.get_by_role("status")).to_have_text("¡Gracias por tu opinión!")
    again = await api.run("mutation($k: String!) { submitFeedback(token: $k, rating: 1) { __typename } }", {"k": token})
    assert again["submitFeedback"]["__typename"] == "InvalidState"  # the page's answer was recorded


async def test_a_display_with_a_bad_token_shows_no_board(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    front = await front_desk(api, admin_token)
    display = await _open(context, f"{site}/display/{front.office_id}?token=not-a-token")
    await expect(display.locator("#status")).to_contain_text("no tiene permiso")
    await expect(display.locator("#board")).to_be_hidden()
    other = await front_desk(api, admin_token, slug="norte")
    # another office's screen may not watch this one
    display = await _open(context, f"{site}/display/{front.office_id}?token={quote(other.display)}")
    await expect(display.locator("#status")).to_contain_text("no tiene permiso")
    await expect(display.locator("#board")).to_be_hidden()
