"""The manage page in real Chromium on a phone: the reschedule grid marks the booking's own time, the confirm
button and the cancel question come into view with the focus, and a cancelled booking no longer says what to
bring."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.async_api import BrowserContext, expect

from tests.support.api import Api
from tests.support.booking import book, bookable_slots
from tests.support.browser import PHONE, check_page

pytestmark = pytest.mark.slow
DOCUMENTS = ["DNI vigente", "Partida de nacimiento"]


async def test_reschedule_marks_the_current_time_and_cancel_comes_into_view(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    # tomorrow 09:00, 10:00, 11:00 and 12:00 (office time); the citizen holds 10:00
    slots = await bookable_slots(api, admin_token, slots_per_day=4, requiredDocuments=DOCUMENTS)
    confirmation = await book(api, slots[1])
    code, token = confirmation["booking"]["code"], confirmation["manageToken"]
    page = await context.new_page()
    await page.goto(f"{site}/manage?code={code}&token={quote(token)}")
    await expect(page.get_by_role("heading", name="Qué tenés que llevar")).to_be_visible()

    await page.get_by_role("button", name="Cambiar fecha u hora").click()
    times = page.locator("#reschedule-chooser .slot-times > *")
    await expect(times).to_have_text(["09:00", "10:00 · tu horario actual", "11:00", "12:00"])
    current = page.locator("#current-slot")
    assert await current.evaluate("element => element.tagName") == "SPAN"  # shown, not a time to pick
    await expect(page.locator("#reschedule-chooser button.slot")).to_have_count(3)
    await check_page(page, "manage-reschedule")
    await page.set_viewport_size(PHONE)

    # picking a time: the confirm button comes into view, focused
    await page.locator("#reschedule-chooser button.slot").last.click()
    confirm = page.get_by_role("button", name="Cambiar a ")
    await expect(confirm).to_be_focused()
    await expect(confirm).to_be_in_viewport()

    # the cancel question comes into view whole (its answers too), its heading focused
    await page.get_by_role("button", name="Cancelar turno").click()
    await expect(page.get_by_role("heading", name="¿Querés cancelar este turno?")).to_be_focused()
    await expect(page.get_by_role("button", name="Sí, cancelar el turno")).to_be_in_viewport()
    await expect(page.get_by_role("button", name="No, mantener el turno")).to_be_in_viewport()
    await page.get_by_role("button", name="Sí, cancelar el turno").click()
    await expect(page.get_by_role("status")).to_contain_text("Tu turno quedó cancelado.")

    # cancelled: nothing left to bring
    await expect(page.locator("#booking")).to_contain_text("Cancelado")
    await expect(page.get_by_role("heading", name="Qué tenés que llevar")).to_have_count(0)
    await expect(page.locator("#booking")).not_to_contain_text(DOCUMENTS[0])
    await check_page(page, "manage-cancelled")
