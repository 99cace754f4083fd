"""The catalogue in other languages: ServiceInput.translations, served by Accept-Language field by field with the
city's default (Spanish) behind it, searched in every language, loaded once per response whatever its size."""

from __future__ import annotations

from typing import Any

import httpx

from core.runtime import AppState
from core.settings import Settings
from demo import city_english
from demo.city_data import SERVICES
from tests.support.api import Api, statements
from tests.support.booking import BOOKING, book, bookable_slots, citizen, scalar
from tests.support.front_desk import add_desk
from tests.support.mail import composed, outbox_rows, plain

UPSERT = """mutation($i: ServiceInput!) { upsertService(input: $i) { __typename
    ... on Service { id name description category requiredDocuments keywords
                     translations { locale name description category requiredDocuments keywords } }
    ... on ValidationError { code field message } ... on UserError { code message } } }"""
READ = """query($id: ID!) { service(id: $id) { name description category requiredDocuments keywords } }"""

PASSPORT: dict[str, Any] = {
    "slug": "pasaporte",
    "name": "Solicitud de pasaporte",
    "durationMinutes": 20,
    "description": "Trámite del pasaporte argentino.",
    "category": "Documentación",
    "requiredDocuments": ["DNI vigente"],
    "keywords": ["viajar"],
    "translations": [
        {
            "locale": "en",
            "name": "Passport application",
            "category": "Identity documents",
            "requiredDocuments": ["Valid national ID card"],
            "keywords": ["travel document"],
        }
    ],
}


def speaking(client: httpx.AsyncClient, language: str | None) -> Api:
    return Api(client, language)


async def upsert(api: Api, token: str, service: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(UPSERT, {"i": service}, token))["upsertService"]
    return result


async def test_a_procedure_reads_in_the_callers_language_field_by_field(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    created = await upsert(speaking(client, "en"), admin_token, PASSPORT)
    assert created["__typename"] == "Service", created
    variables = {"id": created["id"]}

    english = (await speaking(client, "en-US,en;q=0.9").run(READ, variables))["service"]
    spanish = (await speaking(client, "es-AR,es;q=0.9,en;q=0.8").run(READ, variables))["service"]
    nothing_said = (await speaking(client, None).run(READ, variables))["service"]
    # French is not written: the next language the caller reads
    french_first = (await speaking(client, "fr-FR, en;q=0.5").run(READ, variables))["service"]

    assert english == {
        "name": "Passport application",
        # not translated: the city's own
        "description": "Trámite del pasaporte argentino.",
        "category": "Identity documents",
        "requiredDocuments": ["Valid national ID card"],
        "keywords": ["travel document"],
    }
    assert french_first == english
    assert (
        spanish
        == nothing_said
        == {
            "name": "Solicitud de pasaporte",
            "description": "Trámite del pasaporte argentino.",
            "category": "Documentación",
            "requiredDocuments": ["DNI vigente"],
            "keywords": ["viajar"],
        }
    )
    # what an admin edits: every translation as given, whatever the request's language
    assert created["translations"] == [
        {
            "locale": "en",
            "name": "Passport application",
            "description": None,
            "category": "Identity documents",
            "requiredDocuments": ["Valid national ID card"],
            "keywords": ["travel document"],
        }
    ]


async def test_more_languages_than_two_are_served_to_those_who_read_them(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    service = PASSPORT | {
        "translations": [*PASSPORT["translations"], {"locale": "pt-BR", "name": "Solicitação de passaporte"}]
    }
    created = await upsert(speaking(client, "en"), admin_token, service)

    portuguese = (await speaking(client, "pt-BR,pt;q=0.9").run(READ, {"id": created["id"]}))["service"]

    assert portuguese["name"] == "Solicitação de passaporte"
    assert portuguese["category"] == "Documentación"  # pt-BR has none: the city's default, not the English
    assert [t["locale"] for t in created["translations"]] == ["en", "pt-BR"]


async def test_translations_are_kept_when_absent_and_replaced_when_given(
    api: Api, admin_token: str, state: AppState
) -> None:
    created = await upsert(api, admin_token, PASSPORT)
    kept = await upsert(api, admin_token, {k: v for k, v in PASSPORT.items() if k != "translations"})
    emptied = await upsert(api, admin_token, PASSPORT | {"translations": []})

    assert kept["translations"] == created["translations"]
    assert kept["name"] == "Passport application"
    assert emptied["translations"] == []
    assert emptied["name"] == "Solicitud de pasaporte"
    assert await scalar(state, "SELECT count(*) FROM service_translations") == 0


async def test_a_wrong_translation_names_its_field_and_writes_nothing(
    api: Api, admin_token: str, state: AppState
) -> None:
    english = PASSPORT["translations"][0]
    cases = [
        ([{"locale": "xx-nope-nope", "name": "Passport"}], "translations.0.locale"),
        ([{"locale": "es-AR", "name": "Pasaporte"}], "translations.0.locale"),  # the default language
        ([english, {"locale": "EN", "name": "Passport"}], "translations.1.locale"),
        ([{"locale": "en", "name": "P" * 201}], "translations.0.name"),
        ([{"locale": "en", "name": "Passport", "keywords": ["k"] * 31}], "translations.0.keywords"),
        (
            [{"locale": "en", "name": "Passport", "requiredDocuments": ["line\nbreak"]}],
            "translations.0.requiredDocuments.0",
        ),
        (
            [
                {"locale": f"en-{c}", "name": "x"}
                for c in [
                    "GB",
                    "US",
                    "AU",
                    "CA",
                    "NZ",
                    "IE",
                    "ZA",
                    "IN",
                    "SG",
                    "HK",
                    "MT",
                    "JM",
                    "BZ",
                    "TT",
                    "PH",
                    "NG",
                    "KE",
                    "GH",
                    "UG",
                    "ZW",
                    "BW",
                ]
            ],
            "translations",
        ),
    ]
    for translations, field in cases:
        result = await upsert(api, admin_token, PASSPORT | {"slug": "otro", "translations": translations})
        assert result["__typename"] == "ValidationError", (field, result)
        assert result["field"] == field, result
    assert await scalar(state, "SELECT count(*) FROM services") == 0
    assert await scalar(state, "SELECT count(*) FROM service_translations") == 0


async def test_a_search_in_english_finds_the_procedure(api: Api, admin_token: str) -> None:
    await upsert(api, admin_token, PASSPORT | {"keywords": []})
    await upsert(
        api,
        admin_token,
        {
            "slug": "licencia",
            "name": "Licencia de conducir original",
            "durationMinutes": 30,
            "category": "Tránsito",
            "translations": [{"locale": "en", "name": "First driving licence", "keywords": ["driver's license"]}],
        },
    )
    search = "query($s: String!) { services(search: $s) { slug } serviceSuggestions(search: $s) { slug } }"

    passport = await api.run(search, {"s": "passport"})
    licence = await api.run(search, {"s": "driving licence"})
    misspelt = await api.run(search, {"s": "pasport"})

    assert [s["slug"] for s in passport["services"]] == ["pasaporte"]
    assert [s["slug"] for s in licence["services"]] == ["licencia"]
    assert [s["slug"] for s in misspelt["services"]] == ["pasaporte"]
    assert licence["serviceSuggestions"][0]["slug"] == "licencia"


async def test_the_whole_catalogue_in_english_costs_one_query_more_whatever_its_size(
    api: Api, admin_token: str, state: AppState
) -> None:
    listing = "{ services { name category translations { locale } } }"
    for number in range(3):
        await upsert(api, admin_token, PASSPORT | {"slug": f"p-{number}"})
    with statements(state) as few:
        await api.run(listing)
    for number in range(3, 30):
        await upsert(api, admin_token, PASSPORT | {"slug": f"p-{number}"})
    with statements(state) as many:
        found = (await api.run(listing))["services"]

    assert len(found) == 30
    assert {s["name"] for s in found} == {"Passport application"}
    # the services, then their translations in one batch
    assert len(few) == len(many) == 2, many


async def test_a_booking_names_its_procedure_in_the_callers_language(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    english, spanish = speaking(client, "en"), speaking(client, "es")
    slots = await bookable_slots(english, admin_token, translations=PASSPORT["translations"])
    confirmation = await book(english, slots[0])
    variables = {"c": confirmation["booking"]["code"], "t": confirmation["manageToken"]}
    document = BOOKING.replace("service { slug }", "service { slug name }")

    in_english = (await english.run(document, variables))["booking"]
    in_spanish = (await spanish.run(document, variables))["booking"]

    assert in_english["service"]["name"] == "Passport application"
    assert in_spanish["service"]["name"] == "Service dni"


async def test_a_translated_description_may_hold_line_breaks_as_the_default_one(api: Api, admin_token: str) -> None:
    english = PASSPORT["translations"][0] | {"description": "Bring your ID.\nPhotos are taken here."}

    result = await upsert(api, admin_token, PASSPORT | {"translations": [english]})

    assert result["description"] == "Bring your ID.\nPhotos are taken here."


async def test_the_mail_names_the_procedure_in_the_citizens_language(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    slots = await bookable_slots(
        api, admin_token, requiredDocuments=["DNI vigente"], translations=PASSPORT["translations"]
    )
    english = await book(api, slots[0], citizen=citizen(locale="en-GB"))
    spanish = await book(api, slots[1], citizen=citizen("20999888", locale="es"))
    assert english["__typename"] == spanish["__typename"] == "BookingConfirmation"

    rows = await outbox_rows(state, "booking.confirmation")
    bodies = {}
    for row in rows:
        message = await composed(state, settings, row)
        assert message is not None
        bodies[message["Content-Language"]] = plain(message)

    assert "Passport application" in bodies["en"]
    assert "Valid national ID card" in bodies["en"]
    assert "Service dni" not in bodies["en"]
    assert "Service dni" in bodies["es"]
    assert "DNI vigente" in bodies["es"]


def test_the_demo_city_has_english_for_every_procedure() -> None:
    assert city_english.check() == []
    for service in SERVICES:
        text = city_english.english(service)
        assert all((text.name, text.description, text.category, text.keywords)), service.slug
        assert len(text.required_documents) == len(service.required_documents), service.slug


async def test_the_catalogue_lists_in_the_order_of_the_names_read(client: httpx.AsyncClient, admin_token: str) -> None:
    english, spanish = speaking(client, "en"), speaking(client, "es")
    office_id = await english.office(admin_token)
    for slug, name, translated in (
        ("alta-comercio", "Alta de comercio", "Registering a business"),
        ("dentista", "Turno de dentista", "Dental appointment"),
    ):
        service = {"slug": slug, "name": name, "durationMinutes": 15}
        await upsert(english, admin_token, service | {"translations": [{"locale": "en", "name": translated}]})
    ids = [s["id"] for s in (await english.run("{ services { id } }"))["services"]]
    await add_desk(english, admin_token, office_id, "1", ids)  # the office offers what its desks serve
    listing = "query($o: ID!) { services { name } office(id: $o) { services { name } } }"

    in_english = await english.run(listing, {"o": office_id})
    in_spanish = await spanish.run(listing, {"o": office_id})

    assert [s["name"] for s in in_english["services"]] == ["Dental appointment", "Registering a business"]
    assert [s["name"] for s in in_english["office"]["services"]] == ["Dental appointment", "Registering a business"]
    assert [s["name"] for s in in_spanish["services"]] == ["Alta de comercio", "Turno de dentista"]
    assert [s["name"] for s in in_spanish["office"]["services"]] == ["Alta de comercio", "Turno de dentista"]
