"""Finding a procedure on the booking page (issue 16 point 2), in real Chromium against a real `main.py serve`:
every procedure reachable in groups by category, the words people type ("partida", "licence", "carnet de
conducir", "DNI vencido") finding the right one, a search that finds nothing saying so with the closest
procedures, the soonest times anywhere telling offices apart (address, and distance from the person), and a
confirmation that says where the mail goes and what to do on the day."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Geolocation, Page, expect

from tests.support.api import Api
from tests.support.booking import bookable_slots
from tests.support.browser import check_page

pytestmark = pytest.mark.slow

UPSERT = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename ... on UserError { message } } }"""
CATEGORIES = ("Ambiente", "Comercio", "Obras privadas", "Salud")
# what the page is asked for, and the procedure it must offer first
SEARCHES = {
    "partida": "Copia de acta de nacimiento",
    "licence": "Licencia de conducir original",
    "license": "Licencia de conducir original",
    "carnet de conducir": "Licencia de conducir original",
    "DNI vencido": "Renovación de DNI",
}
# a point in Córdoba nearer the second office than the first
HERE = Geolocation(latitude=-31.375, longitude=-64.205)


async def _catalogue(api: Api, token: str) -> int:
    """More procedures than the page used to show (30), in categories; the licence is bookable at two offices.
    Answers how many procedures there are."""
    named: list[tuple[str, str, str, list[str]]] = [
        ("renovacion-dni", "Renovación de DNI", "Documentación", ["DNI vencido", "documento"]),
        ("partida-nacimiento", "Copia de acta de nacimiento", "Registro civil", ["partida", "birth certificate"]),
        ("pasaporte", "Solicitud de pasaporte", "Documentación", ["passport"]),
    ]
    fillers: list[tuple[str, str, str, list[str]]] = [
        (f"tramite-{n}", f"Trámite número {n:02d}", CATEGORIES[n % 4], []) for n in range(40)
    ]
    for slug, name, category, keywords in named + fillers:
        answer = await api.run(
            UPSERT,
            {"i": {"slug": slug, "name": name, "durationMinutes": 15, "category": category, "keywords": keywords}},
            token,
        )
        assert answer["upsertService"]["__typename"] == "Service", answer
    licence: dict[str, Any] = {
        "service_slug": "licencia-conducir",
        "name": "Licencia de conducir original",
        "category": "Tránsito",
        "keywords": ["carnet de conducir", "registro", "licence", "license"],
        "requiredDocuments": ["DNI vigente", "Certificado de grupo sanguíneo"],
    }
    await bookable_slots(api, token, office_slug="centro", **licence)
    await bookable_slots(api, token, office_slug="norte", **licence)
    # the offices' addresses and places (after the agendas: bookable_slots upserts the office without them)
    for slug, address, latitude, longitude in (
        ("centro", "Av. Colón 100", -31.4167, -64.1833),
        ("norte", "Av. Monseñor Pablo Cabrera 5000", -31.3700, -64.2100),
    ):
        await api.office(token, slug=slug, address=address, latitude=latitude, longitude=longitude)
    return len(named) + len(fillers) + 1


async def _first_found_is(page: Page, name: str) -> None:
    """The search's best match (the first result's name) becomes `name` (waits out the previous answer)."""
    await expect(page.locator("#results > li > button").first.locator("span").first).to_have_text(name)


async def test_every_procedure_is_reachable_by_category_and_the_words_people_use_find_it(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    total = await _catalogue(api, admin_token)
    page = await context.new_page()
    await page.goto(f"{site}/")

    # the whole catalogue, by category: each category a group that opens, every procedure in one
    groups = page.locator("#results details")
    await expect(groups).to_have_count(len(CATEGORIES) + 3)  # Documentación, Registro civil, Tránsito
    await expect(page.locator("#result-count")).to_contain_text(f"Los {total} trámites")
    assert await page.locator("#results details button").count() == total
    summaries = [text.split("\n")[0].strip() for text in await page.locator("#results summary").all_inner_texts()]
    assert summaries == sorted([*CATEGORIES, "Documentación", "Registro civil", "Tránsito"])
    await check_page(page, "booking-catalogue")
    salud = page.locator("#results details", has=page.locator("summary", has_text="Salud"))
    await salud.locator("summary").click()
    last = salud.get_by_role("button", name="Trámite número 39")
    await expect(last).to_be_visible()  # the 40th filler: beyond where the page used to stop
    await last.click()
    await expect(page.get_by_role("heading", name="2. Trámite número 39")).to_be_visible()

    # the page's own examples, and the English spellings, find the right procedure first
    search = page.locator("#search")
    await expect(page.get_by_label("Buscar trámite")).to_be_visible()
    for typed, expected in SEARCHES.items():
        await search.fill(typed)
        await _first_found_is(page, expected)
        await expect(page.locator("#result-count")).to_contain_text(re.compile("encontrados?"))
    # a spelling mistake too
    await search.fill("pasaprote")
    await _first_found_is(page, "Solicitud de pasaporte")

    # nothing found: said in words, with the closest procedures to choose from
    await search.fill("xyzzy qwerty")
    await expect(page.locator("#result-count")).to_have_text(
        "No encontramos ningún trámite para «xyzzy qwerty». Revisá cómo está escrito o probá con otra palabra."
    )
    await expect(page.get_by_role("heading", name="¿Buscabas alguno de estos?")).to_be_visible()
    await expect(page.locator(".suggestions button")).to_have_count(5)
    await check_page(page, "booking-no-results")
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#result-count")).to_contain_text("We found no procedure for “xyzzy qwerty”")
    await expect(page.get_by_role("heading", name="Were you looking for one of these?")).to_be_visible()
    # emptied: the catalogue again
    await search.fill("")
    await expect(page.locator("#result-count")).to_contain_text(f"All {total} procedures")


async def test_the_soonest_anywhere_tells_offices_apart_and_the_confirmation_says_what_comes_next(
    site: str, context: BrowserContext, api: Api, admin_token: str
) -> None:
    await _catalogue(api, admin_token)
    await context.grant_permissions(["geolocation"], origin=site)
    await context.set_geolocation(HERE)
    page = await context.new_page()
    await page.goto(f"{site}/")
    await page.get_by_label("Buscar trámite").fill("carnet de conducir")
    await page.get_by_role("button", name=re.compile("Licencia de conducir original")).click()

    # by day, each time naming its office and address
    times = page.locator("button.office-slot")
    await expect(times.first).to_be_visible()
    assert await times.count() == 8  # four a day at each office, tomorrow
    await expect(page.locator(".slot-day h3")).to_have_count(1)
    await expect(times.filter(has_text="Office norte").first).to_contain_text("Av. Monseñor Pablo Cabrera 5000")
    await expect(times.filter(has_text="Office centro").first).to_contain_text("Av. Colón 100")

    # with the person's location: each office's soonest time, the nearest first, with its distance
    await page.get_by_role("button", name="Ver primero las oficinas más cercanas a mí").click()
    await expect(page.get_by_text("la más cercana a vos primero")).to_be_visible()
    await expect(times).to_have_count(2)
    await expect(times.nth(0)).to_contain_text("Office norte")
    await expect(times.nth(0)).to_contain_text(re.compile(r"a 0,\d km · Av\. Monseñor Pablo Cabrera 5000"))
    await expect(times.nth(1)).to_contain_text(re.compile(r"a \d+,\d km · Av\. Colón 100"))
    await check_page(page, "booking-soonest-nearby")

    await times.nth(0).click()
    await page.get_by_label("Nombre y apellido").fill("Ana Pérez")
    await page.get_by_label("Número de documento").fill("30123456")
    await page.get_by_label("Correo electrónico").fill("ana@example.org")
    await page.get_by_role("button", name="Confirmar turno").click()

    # the page now says it is confirmed, where the mail went, and what to do on the day
    await expect(page.get_by_role("heading", level=1)).to_have_text("Turno confirmado")
    assert (await page.title()).startswith("Turno confirmado")
    code = await page.locator("#code").inner_text()
    await expect(page.locator("#done-mail")).to_have_text(
        "Te mandamos la confirmación a a•••@example.org, con el código y el archivo para tu calendario."
    )
    day = page.locator("#done-day li")
    await expect(day).to_have_count(4)
    await expect(day.nth(0)).to_contain_text("Traé los documentos")
    await expect(day.nth(1)).to_have_text("Llegá unos 10 minutos antes de tu horario.")
    await expect(day.nth(2)).to_contain_text(f"registrá tu llegada en la terminal de la entrada con tu código {code}")
    await expect(page.locator("#done-documents")).to_contain_text("Certificado de grupo sanguíneo")
    await check_page(page, "booking-confirmed")
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Appointment confirmed")
    await expect(page.locator("#done-mail")).to_contain_text("We are sending the confirmation to a•••@example.org")
    await expect(day.nth(2)).to_contain_text(f"check in at the kiosk by the entrance with your code {code}")
