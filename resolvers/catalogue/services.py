"""Services (procedures): upserted by slug (ADMIN only), searched by anyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import CTE, ColumnElement, Float, case, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import BadRequest, ValidationFailed
from core.inputs import Doc
from core.messages import msg
from models.catalogue import ChallengePolicy, ReleasePolicy, services
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.records import SERVICE, ServiceRecord
from resolvers.catalogue.translations import (
    MAX_TRANSLATIONS,
    ServiceTranslationInput,
    ServiceTranslationRecord,
    kept_translations,
    locale_tag,
    replace_translations,
    same_language,
)
from resolvers.rows import record_from_row, records_from_rows

_PREFIX = re.compile(r"^[A-Z]{1,2}$")
MAX_DOCUMENTS = 30
# the words people use for a procedure: enough for its synonyms, spellings and both languages
MAX_KEYWORDS = 30
MAX_KEYWORD_LENGTH = 60
# a public search's cost is bounded by what it may ask: so many characters, so many words weighed
MAX_SEARCH_LENGTH = 100
MAX_SEARCH_WORDS = 6
MAX_SUGGESTIONS = 10
# pg_trgm's word similarity from which a word counts as a spelling of another ("licensia", "pasaprote": 0.6)
SIMILAR = 0.5
# the most people one booking may bring (a family): the holder and up to nine companions
MAX_PARTY_SIZE = 10


@dataclass(frozen=True, slots=True)
class ServiceInput:
    slug: str
    name: str
    duration_minutes: int
    description: str | None = None
    category: str | None = None
    required_documents: list[str] | None = None
    walk_in_allowed: bool = True
    booking_window_days: int = 30
    ticket_prefix: Annotated[str | None, Doc("One or two letters that start this service's ticket numbers.")] = None
    max_active_bookings_per_citizen: int = 1
    challenge_policy: Annotated[
        ChallengePolicy | None,
        Doc(
            "When anonymous bookings need a solved proof-of-work challenge (bookingChallenge): a new service gets "
            "ADAPTIVE; absent keeps an existing service's policy."
        ),
    ] = None
    confirmation_required: Annotated[
        bool, Doc("Citizens' bookings stay PENDING until confirmed from the mailed link.")
    ] = False
    max_party_size: Annotated[
        int | None,
        Doc(
            "How many people one booking may bring (the citizen and up to this many minus one companions), 1 to 10: "
            "a new service gets 1; absent keeps an existing service's."
        ),
    ] = None
    keywords: Annotated[
        list[str] | None,
        Doc(
            "Other words people use for this procedure, found by services(search) like its name: synonyms, "
            f'spellings, other languages ("partida", "carnet de conducir", "licence"). At most {MAX_KEYWORDS}, '
            f"each up to {MAX_KEYWORD_LENGTH} characters; absent keeps an existing service's."
        ),
    ] = None
    release_policy: Annotated[
        ReleasePolicy | None,
        Doc("FIRST_COME or DRAW: a new service gets FIRST_COME; absent keeps an existing one's."),
    ] = None
    draw_minutes: Annotated[
        int | None,
        Doc(
            "Under DRAW: minutes entries are taken after a release (5 to 10080); a new service gets 60; absent keeps "
            "an existing one's."
        ),
    ] = None
    translations: Annotated[
        list[ServiceTranslationInput] | None,
        Doc(
            "The procedure in other languages than the city's default (which the fields above are in): served to "
            "requests in that language field by field, searched like the rest. Replaces every translation; absent "
            f"keeps an existing service's. At most {MAX_TRANSLATIONS}, one per language."
        ),
    ] = None


MIN_DRAW_MINUTES = 5
MAX_DRAW_MINUTES = 7 * 24 * 60


def _prefix(value: str | None, name: str) -> str:
    if value is None:
        letters = [c for c in validation.fold(name).upper() if "A" <= c <= "Z"]
        return letters[0] if letters else "T"
    prefix = value.strip().upper()
    if not _PREFIX.match(prefix):
        raise ValidationFailed("ticketPrefix", "ticketPrefix must be one or two letters A-Z.")
    return prefix


def _documents(values: list[str] | None, field: str = "requiredDocuments") -> list[str]:
    documents = []
    for index, value in enumerate(values or []):
        documents.append(validation.text_field(f"{field}.{index}", value, max_length=300))
    if len(documents) > MAX_DOCUMENTS:
        raise ValidationFailed(field, msg("At most {count} documents.", count=MAX_DOCUMENTS))
    return documents


def _keywords(values: list[str], field: str = "keywords") -> list[str]:
    if len(values) > MAX_KEYWORDS:
        raise ValidationFailed(field, msg("At most {count} keywords.", count=MAX_KEYWORDS))
    keywords: list[str] = []
    for index, value in enumerate(values):
        keyword = " ".join(validation.text_field(f"{field}.{index}", value, max_length=MAX_KEYWORD_LENGTH).split())
        # the same word twice (case and accents aside) says nothing more
        if validation.fold(keyword) not in {validation.fold(k) for k in keywords}:
            keywords.append(keyword)
    return keywords


def _translations(values: list[ServiceTranslationInput], default_language: str) -> list[ServiceTranslationRecord]:
    """The translations as validated rows (service_id 0 until stored), each field named by its place in the list."""
    if len(values) > MAX_TRANSLATIONS:
        raise ValidationFailed("translations", msg("At most {count} translations.", count=MAX_TRANSLATIONS))
    translations: list[ServiceTranslationRecord] = []
    for index, value in enumerate(values):
        field = f"translations.{index}"  # as every list item is named (requiredDocuments.2)
        locale = locale_tag(f"{field}.locale", value.locale)
        if same_language(locale, default_language):
            raise ValidationFailed(
                f"{field}.locale",
                msg("{field} is the default language: the service's own fields are in it.", field=f"{field}.locale"),
            )
        if any(t.locale.lower() == locale.lower() for t in translations):
            raise ValidationFailed(
                f"{field}.locale", msg("{field} names a language given twice.", field=f"{field}.locale")
            )
        translations.append(
            ServiceTranslationRecord(
                service_id=0,
                locale=locale,
                name=validation.text_field(f"{field}.name", value.name, max_length=200),
                description=validation.optional_text(
                    f"{field}.description", value.description, max_length=4000, multiline=True
                ),
                category=validation.optional_text(f"{field}.category", value.category, max_length=100),
                required_documents=tuple(_documents(value.required_documents, f"{field}.requiredDocuments")),
                keywords=tuple(_keywords(value.keywords or [], f"{field}.keywords")),
            )
        )
    return translations


async def upsert_service(
    conn: AsyncConnection, viewer: Viewer, data: ServiceInput, *, default_language: str
) -> ServiceRecord:
    viewer.require_admin()
    slug = validation.slug("slug", data.slug)
    name = validation.text_field("name", data.name, max_length=200)
    description = validation.optional_text("description", data.description, max_length=4000, multiline=True)
    category = validation.optional_text("category", data.category, max_length=100)
    validation.integer_range("durationMinutes", data.duration_minutes, 1, 1440)
    validation.integer_range("bookingWindowDays", data.booking_window_days, 1, 730)
    validation.integer_range("maxActiveBookingsPerCitizen", data.max_active_bookings_per_citizen, 1, 100)
    if data.max_party_size is not None:
        validation.integer_range("maxPartySize", data.max_party_size, 1, MAX_PARTY_SIZE)
    if data.draw_minutes is not None:
        validation.integer_range("drawMinutes", data.draw_minutes, MIN_DRAW_MINUTES, MAX_DRAW_MINUTES)
    keywords = await _kept_keywords(conn, slug) if data.keywords is None else _keywords(data.keywords)
    translations = (
        await kept_translations(conn, slug)
        if data.translations is None
        else _translations(data.translations, default_language)
    )
    # every language's words are searched: "passport" finds the pasaporte
    searched = [(name, category, description, keywords)] + [
        (t.name, t.category, t.description, list(t.keywords)) for t in translations
    ]
    values = {
        "slug": slug,
        "name": name,
        "description": description,
        "category": category,
        "duration_minutes": data.duration_minutes,
        "required_documents": _documents(data.required_documents),
        "walk_in_allowed": data.walk_in_allowed,
        "booking_window_days": data.booking_window_days,
        "ticket_prefix": _prefix(data.ticket_prefix, name),
        "max_active_bookings_per_citizen": data.max_active_bookings_per_citizen,
        "confirmation_required": data.confirmation_required,
        "keywords": keywords,
        "search_text": validation.fold(
            " ".join(filter(None, [word for n, c, d, k in searched for word in (n, c, d, *k)]))
        ),
        "search_keys": " ".join(search_keys(n, k, c) for n, c, _, k in searched),
    }
    # an absent policy, party size or draw length keeps the service's own (a new service: the column's default)
    given = {
        column: value
        for column, value in (
            ("challenge_policy", data.challenge_policy),
            ("max_party_size", data.max_party_size),
            ("release_policy", data.release_policy),
            ("draw_minutes", data.draw_minutes),
        )
        if value is not None
    }
    upsert = insert(services).values(**values, **given)
    upsert = upsert.on_conflict_do_update(
        index_elements=[services.c.slug],
        set_={
            **{column: upsert.excluded[column] for column in values if column != "slug"},
            **{column: upsert.excluded[column] for column in given},
            "updated_at": func.now(),
        },
    )
    row = (await conn.execute(upsert.returning(*SERVICE.selected_columns))).mappings().one()
    if data.translations is not None:
        await replace_translations(conn, row["id"], translations)
    return record_from_row(ServiceRecord, row)


async def _kept_keywords(conn: AsyncConnection, slug: str) -> list[str]:
    """An existing service's keywords (none for a new one): an upsert without them keeps them."""
    kept = await conn.scalar(select(services.c.keywords).where(services.c.slug == slug))
    return list(kept or [])


def search_keys(name: str, keywords: list[str], category: str | None) -> str:
    """Name, keywords and category folded, each between bars ("| renovacion de dni | dni vencido |"): pg_trgm
    ignores the bars, and a search that is one of them whole is found as "| search |"."""
    entries = [validation.fold(entry) for entry in (name, *keywords, category) if entry]
    return "| " + " | ".join(entries) + " |"


def _search_words(search: str | None) -> tuple[str, list[str]]:
    """The folded search and the words weighed (at most MAX_SEARCH_WORDS); words of one or two letters ("de",
    "la") only count when nothing longer was typed."""
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise BadRequest("search", f"search must be at most {MAX_SEARCH_LENGTH} characters long.")
    folded = " ".join(validation.fold(search or "").split())
    words = list(dict.fromkeys(folded.split()))
    return folded, ([word for word in words if len(word) > 2] or words)[:MAX_SEARCH_WORDS]


def _word_score(word: str) -> ColumnElement[float]:
    """How well one word matches a service: in its name, keywords or category 1, elsewhere (the description)
    0.6, a spelling of a word of its name, keywords or category its similarity (0.5 to 1) times 0.9; else 0.
    CASE stops at the first that holds: the trigram similarity is worked out only where the word is missing."""
    similarity = func.word_similarity(literal(word), services.c.search_keys)
    return case(
        (services.c.search_keys.contains(word, autoescape=True), literal(1.0, Float)),
        (services.c.search_text.contains(word, autoescape=True), literal(0.6, Float)),
        (similarity >= SIMILAR, similarity * 0.9),
        else_=literal(0.0, Float),
    )


def _whole(folded: str) -> ColumnElement[float]:
    """1.5 when the search is the name, a keyword or the category ("licence", "dni vencido"); 1 when it appears
    in one of them as typed, words in order (a name's words); else 0."""
    return case(
        (services.c.search_keys.contains(f"| {folded} |", autoescape=True), literal(1.5, Float)),
        (services.c.search_keys.contains(folded, autoescape=True), literal(1.0, Float)),
        else_=literal(0.0, Float),
    )


def _scored(folded: str, words: list[str], *extra: ColumnElement[float]) -> CTE:
    """Every service with each word's score and the whole search's, worked out once per row (MATERIALIZED:
    the filter and the order read them without PostgreSQL copying the expressions into both)."""
    scores = [_word_score(word).label(f"word_{index}") for index, word in enumerate(words)]
    scored = SERVICE.add_columns(*scores, _whole(folded).label("whole"), *extra).cte("scored")
    return scored.prefix_with("MATERIALIZED")


def _record_columns(scored: CTE) -> list[ColumnElement[object]]:
    return [scored.c[key] for key in SERVICE.selected_columns.keys()]


async def search_services(conn: AsyncConnection, search: str | None) -> list[ServiceRecord]:
    """Services that match every word of the search (its one- and two-letter words aside) in their name,
    keywords, category or description, accents and case ignored, or by a close spelling (pg_trgm); best first.
    No search: the whole catalogue by name."""
    folded, words = _search_words(search)
    if not words:
        rows = await conn.execute(SERVICE.order_by(services.c.name, services.c.id))
        return records_from_rows(ServiceRecord, rows.mappings())
    scored = _scored(folded, words)
    word_scores = [scored.c[f"word_{index}"] for index in range(len(words))]
    rank = sum(word_scores, scored.c.whole)
    found = (
        select(*_record_columns(scored))
        .where(*(score > 0 for score in word_scores))
        .order_by(rank.desc(), scored.c.name, scored.c.id)
    )
    return records_from_rows(ServiceRecord, (await conn.execute(found)).mappings())


async def suggest_services(conn: AsyncConnection, search: str | None, limit: int) -> list[ServiceRecord]:
    """The procedures closest to a search, whether or not they match all of it: what a search that found
    nothing offers instead. Scored by the words that match (any of them) and by the whole search's trigram
    similarity to the name, keywords and category; with nothing close at all, the first by name."""
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise BadRequest("limit", f"limit must be between 1 and {MAX_SUGGESTIONS}.")
    folded, words = _search_words(search)
    near = func.word_similarity(literal(folded), services.c.search_keys).label("near")
    scored = _scored(folded, words, near)
    closeness = sum((scored.c[f"word_{index}"] for index in range(len(words))), scored.c.whole + scored.c.near)
    found = select(*_record_columns(scored)).order_by(closeness.desc(), scored.c.name, scored.c.id).limit(limit)
    return records_from_rows(ServiceRecord, (await conn.execute(found)).mappings())
