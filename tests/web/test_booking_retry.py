"""The booking page's retry of a booking whose answer was lost: in real Chromium against a real `main.py serve`,
the booking commits but its answer never reaches the page (a 503 from a proxy, or the connection dropped);
the citizen presses the button again, and the page sends the same idempotencyKey, so the answer is the
booking already made, not LimitExceeded for the citizen's own booking, and nothing is booked twice."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Route, expect

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import bookable_slots, scalar

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lost", ["503", "network"])
async def test_a_retry_after_a_lost_answer_shows_the_booking_made(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState, lost: str
) -> None:
    await bookable_slots(api, admin_token, maxActiveBookingsPerCitizen=1)
    keys: list[str] = []

    async def lose_the_first_answer(route: Route) -> None:
        body = route.request.post_data_json if route.request.method == "POST" else None
        if not isinstance(body, dict) or "book(input" not in str(body.get("query")):
            await route.continue_()
            return
        keys.append(body["variables"]["i"]["idempotencyKey"])
        if len(keys) > 1:
            await route.continue_()
            return
        await route.fetch()  # the server books and commits; its answer goes nowhere
        if lost == "503":
            await route.fulfill(status=503, content_type="text/plain", body="upstream timed out")
        else:
            await route.abort("connectionreset")

    page = await context.new_page()
    await page.route("**/graphql", lose_the_first_answer)
    await page.goto(f"{site}/")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    await page.locator("button.slot").first.click()
    await page.get_by_label("Nombre y apellido").fill("Ana Pérez")
    await page.get_by_label("Número de documento").fill("30123456")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_role("button", name="Confirmar turno").click()
    await expect(page.locator("#error")).not_to_be_empty()
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1  # it was made, the page does not know yet

    await page.get_by_role("button", name="Confirmar turno").click()

    await expect(page.get_by_role("heading", name="¡Listo! Tu turno está reservado")).to_be_visible()
    code = await scalar(state, "SELECT code FROM bookings")
    await expect(page.locator("main")).to_contain_text(code)
    assert len(keys) == 2
    assert keys[0] == keys[1] != ""
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
    assert await page.locator("#limit-refusal").is_hidden()
