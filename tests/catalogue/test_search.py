"""Finding a procedure: keywords an admin adds, a search tolerant of accents, spellings and synonyms, best match
first, and the closest procedures when a search finds none."""

from __future__ import annotations

from typing import Any

import pytest

from core.runtime import AppState
from demo.city_data import SERVICES
from demo.seed import DEMO_LANGUAGE, SYSTEM, _service_input
from resolvers.catalogue.services import MAX_KEYWORD_LENGTH, MAX_KEYWORDS, MAX_SEARCH_LENGTH, upsert_service
from tests.support.api import Api

UPSERT = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename
    ... on Service { id slug keywords } ... on ValidationError { field message } ... on UserError { message } } }"""
SEARCH = "query($s: String) { services(search: $s) { slug } }"
SUGGEST = "query($s: String!, $n: Int) { serviceSuggestions(search: $s, limit: $n) { slug } }"


async def upsert(api: Api, token: str, slug: str, name: str, **extra: Any) -> dict[str, Any]:
    data = await api.run(UPSERT, {"i": {"slug": slug, "name": name, "durationMinutes": 15, **extra}}, token)
    result: dict[str, Any] = data["upsertService"]
    return result


async def slugs(api: Api, search: str | None) -> list[str]:
    return [service["slug"] for service in (await api.run(SEARCH, {"s": search}))["services"]]


@pytest.fixture
async def catalogue(api: Api, admin_token: str) -> None:
    """A small city's procedures, with the words people use for them."""
    services = [
        ("renovacion-dni", "Renovación de DNI", "Documentación", ["DNI vencido", "documento", "ID card renewal"]),
        ("pasaporte", "Solicitud de pasaporte", "Documentación", ["passport"]),
        ("partida-nacimiento", "Copia de acta de nacimiento", "Registro civil", ["partida", "birth certificate"]),
        (
            "licencia-conducir",
            "Licencia de conducir original",
            "Tránsito",
            ["carnet de conducir", "registro", "licence", "license", "driving licence"],
        ),
        ("renovacion-licencia", "Renovación de licencia de conducir", "Tránsito", ["carnet vencido", "registro"]),
        ("registro-mascotas", "Registro e identificación de mascotas", "Ambiente", ["chip", "perro", "gato"]),
        ("poda", "Poda de árboles", "Ambiente", []),
    ]
    for slug, name, category, keywords in services:
        result = await upsert(
            api, admin_token, slug, name, category=category, keywords=keywords, description=f"Trámite: {name}."
        )
        assert result["__typename"] == "Service", result
    # "registro" only in its description
    result = await upsert(
        api, admin_token, "reclamos", "Reclamos vecinales", description="Baches y alumbrado: registro de reclamos."
    )
    assert result["__typename"] == "Service", result


async def test_keywords_are_kept_tidy_and_kept_when_an_upsert_leaves_them_out(api: Api, admin_token: str) -> None:
    first = await upsert(api, admin_token, "dni", "DNI", keywords=["  DNI   vencido ", "dni VENCIDO", "Documento"])
    kept = await upsert(api, admin_token, "dni", "DNI renamed")
    cleared = await upsert(api, admin_token, "dni", "DNI", keywords=[])

    assert first["keywords"] == ["DNI vencido", "Documento"]  # spaces tidied; the same word twice once
    assert kept["keywords"] == ["DNI vencido", "Documento"]
    assert cleared["keywords"] == []
    assert await slugs(api, "documento") == []


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ([f"word {n}" for n in range(MAX_KEYWORDS + 1)], "keywords"),
        (["fine", "y" * (MAX_KEYWORD_LENGTH + 1)], "keywords.1"),
        (["   "], "keywords.0"),
        (["bell\u0007"], "keywords.0"),
    ],
)
async def test_keywords_beyond_their_caps_are_refused_naming_the_field(
    api: Api, admin_token: str, keywords: list[str], field: str
) -> None:
    result = await upsert(api, admin_token, "dni", "DNI", keywords=keywords)

    assert (result["__typename"], result["field"]) == ("ValidationError", field)
    assert await slugs(api, None) == []


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("search", "first"),
    [
        ("partida", "partida-nacimiento"),  # a keyword only
        ("PARTIDA de nacimiento", "partida-nacimiento"),
        ("licence", "licencia-conducir"),
        ("license", "licencia-conducir"),
        ("carnet de conducir", "licencia-conducir"),
        ("DNI vencido", "renovacion-dni"),
        ("dni", "renovacion-dni"),
        ("renovacion", "renovacion-dni"),  # accents ignored: "Renovación"
        ("pasaprote", "pasaporte"),  # a spelling variant
        ("lisencia de condusir", "licencia-conducir"),
        ("passport", "pasaporte"),
        ("tránsito", "licencia-conducir"),  # the category
        ("arboles", "poda"),
    ],
)
async def test_a_search_finds_by_keyword_spelling_and_accents(api: Api, search: str, first: str) -> None:
    found = await slugs(api, search)

    assert found[:1] == [first], found


@pytest.mark.usefixtures("catalogue")
async def test_the_best_match_comes_first(api: Api) -> None:
    # "registro" is a keyword of both licences, in the name of the pets' register and the category of the birth
    # certificate: all five are found, the one whose description alone has it last
    found = await slugs(api, "registro")
    assert set(found[:4]) == {"licencia-conducir", "renovacion-licencia", "registro-mascotas", "partida-nacimiento"}
    assert found[4:] == ["reclamos"]

    # both licences have every word; the one whose keyword is the whole search comes first
    assert (await slugs(api, "carnet de conducir"))[0] == "licencia-conducir"
    assert (await slugs(api, "renovacion licencia"))[0] == "renovacion-licencia"
    # every word must match: the licence renewal, not every renewal
    assert await slugs(api, "renovacion licencia") == ["renovacion-licencia"]


@pytest.mark.usefixtures("catalogue")
async def test_a_search_that_finds_nothing_has_the_closest_procedures_to_suggest(api: Api) -> None:
    assert await slugs(api, "xyzzy qwerty") == []
    assert await slugs(api, "licencia de pesca") == []  # "pesca" matches nothing

    suggested = (await api.run(SUGGEST, {"s": "licencia de pesca", "n": 3}))["serviceSuggestions"]
    nonsense = (await api.run(SUGGEST, {"s": "xyzzy qwerty"}))["serviceSuggestions"]

    # the licences share a word with the search: they come first
    assert {s["slug"] for s in suggested[:2]} == {"licencia-conducir", "renovacion-licencia"}
    assert len(suggested) == 3
    # nothing close at all: still something to offer (the default limit is 5)
    assert len(nonsense) == 5


async def test_a_search_and_its_suggestions_cost_a_bounded_amount(api: Api) -> None:
    too_long = await api.post(SEARCH, {"s": "a" * (MAX_SEARCH_LENGTH + 1)})
    too_many = await api.post(SUGGEST, {"s": "dni", "n": 11})
    none = await api.post(SUGGEST, {"s": "dni", "n": 0})

    assert too_long.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "field": "search"}
    assert too_many.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "field": "limit"}
    assert none.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "field": "limit"}
    # the longest search allowed, of many words, is answered (only the first words are weighed)
    assert await slugs(api, " ".join(["dni"] * (MAX_SEARCH_LENGTH // 4))) == []


# the booking page's examples (web/booking/messages.js search_hint, both languages) and what people typed in
# issue 16, on the demo city's catalogue (its English too, issue 17): each finds the procedure meant, first
DEMO_SEARCHES = {
    "partida": "partida-nacimiento",
    "partida de nacimiento": "partida-nacimiento",
    "licence": "licencia-conducir-original",
    "license": "licencia-conducir-original",
    "carnet de conducir": "licencia-conducir-original",
    "DNI vencido": "renovacion-dni",
    "pasaporte": "pasaporte",
    "passport": "pasaporte",
    "licencia": "licencia-conducir-original",
    "registro vencido": "renovacion-licencia-conducir",
    "driving licence": "licencia-conducir-original",
    "driving licence renewal": "renovacion-licencia-conducir",
    "birth certificate": "partida-nacimiento",
    "ID card renewal": "renovacion-dni",
    "lost ID": "duplicado-dni",
    "dentist": "turno-odontologia",
    "neuter a cat": "castracion-gatos",
}


async def test_the_demo_catalogue_answers_the_pages_examples(api: Api, state: AppState) -> None:
    async with state.engine.begin() as conn:
        for service in SERVICES:
            await upsert_service(conn, SYSTEM, _service_input(service), default_language=DEMO_LANGUAGE)

    for search, expected in DEMO_SEARCHES.items():
        found = (await api.run("query($s: String) { services(search: $s) { slug } }", {"s": search}))["services"]
        assert [s["slug"] for s in found[:1]] == [expected], (search, [s["slug"] for s in found[:5]])
    # every procedure is reachable: the whole catalogue answers an empty search
    assert len((await api.run("{ services { id } }"))["services"]) == len(SERVICES)
