"""The booking page books a family in real Chromium against a real `main.py serve` (issue 14 part 7): it asks
how many people come where the procedure takes parties, holds a seat for each, asks each companion's name and
document, and books them under one code."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, expect

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import bookable_slots, scalar
from tests.support.browser import check_page

pytestmark = pytest.mark.slow


async def test_a_family_books_one_appointment_through_the_page(
    site: str, context: BrowserContext, api: Api, admin_token: str, state: AppState
) -> None:
    # the first slot has room for two only: a party of three is not offered it
    slots = await bookable_slots(api, admin_token, capacity=3, maxPartySize=4)
    await api.run(
        "mutation($s: ID!) { holdSlot(slotId: $s) { __typename } }", {"s": slots[0]}, admin_token
    )  # staff hold: not counted against the page's address
    page = await context.new_page()
    await page.goto(f"{site}/")
    await page.get_by_label("Buscar trámite").fill("dni")
    await page.get_by_role("button", name=re.compile("Service dni")).click()
    await page.get_by_label("¿Cuántas personas vienen?").select_option("3")
    await expect(page.locator("button.slot").first).to_be_visible()
    assert await page.locator(f'button.slot[data-slot="{slots[0]}"]').count() == 0
    await page.locator("button.slot").first.click()
    await expect(page.locator("#hold-time")).to_contain_text("Te guardamos")
    assert (
        await scalar(state, "SELECT sum(seats) FROM slot_holds WHERE expires_at > now() AND address_hash IS NOT NULL")
        == 3
    )
    await page.get_by_label("Nombre y apellido", exact=True).fill("Ana Pérez")
    await page.get_by_label("Número de documento", exact=True).fill("30123456")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_label("Nombre y apellido de la persona 2").fill("Luz Pérez")
    await page.get_by_label("Número de documento de la persona 2").fill("40111222")
    await page.get_by_role("button", name="Confirmar turno").click()
    # a companion without a document is told so next to the field, and nothing is booked
    await expect(page.locator("#companion-1-documentId-error")).to_be_visible()
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0
    await page.get_by_label("Nombre y apellido de la persona 3").fill("Leo Pérez")
    await page.get_by_label("Número de documento de la persona 3").fill("40333444")
    await check_page(page, "booking-party")
    await page.get_by_role("button", name="Confirmar turno").click()

    await expect(page.get_by_role("heading", name="¡Listo! Tu turno está reservado")).to_be_visible()
    await expect(page.locator("#done-summary")).to_contain_text("Luz Pérez")
    assert await scalar(state, "SELECT party_size FROM bookings") == 3
    assert await scalar(state, "SELECT count(*) FROM booking_companions") == 2
    assert await scalar(state, "SELECT count(*) FROM slot_holds WHERE address_hash IS NOT NULL") == 0
