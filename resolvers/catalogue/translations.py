"""A procedure in other languages than the city's default: what `ServiceInput.translations` stores and which
translation a request is served.

The services row holds the default language (TURNERO_DEFAULT_LANGUAGE); a translation is one row of
service_translations per (service, locale). A request is served the translation whose locale its Accept-Language
prefers (babel's negotiation: "en-US" finds "en"), field by field: a field the translation leaves empty is the
default language's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from babel.core import Locale, UnknownLocaleError, negotiate_locale
from sqlalchemy import ColumnElement, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.inputs import Doc
from core.messages import msg
from models.catalogue import service_translations, services
from resolvers.rows import record_columns, records_from_rows

# languages one procedure may be written in besides the default: room for a city's languages, not a dictionary
MAX_TRANSLATIONS = 20


@dataclass(frozen=True, slots=True)
class ServiceTranslationInput:
    locale: Annotated[str, Doc('The language, a BCP 47 tag babel knows ("en", "pt", "en-GB").')]
    name: str
    description: str | None = None
    category: str | None = None
    required_documents: list[str] | None = None
    keywords: Annotated[
        list[str] | None, Doc("Words people use for the procedure in this language: services(search) finds them.")
    ] = None


@dataclass(frozen=True, slots=True)
class ServiceTranslationRecord:
    service_id: int
    locale: str
    name: str
    description: str | None
    category: str | None
    required_documents: tuple[str, ...]
    keywords: tuple[str, ...]


TRANSLATION = select(*record_columns(ServiceTranslationRecord, service_translations))


def locale_tag(field: str, value: str) -> str:
    """A locale as babel knows it, written as a BCP 47 tag ("en", "en-GB"); ValidationFailed naming the field."""
    try:
        parsed = Locale.parse(value.strip().replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValidationFailed(field, msg("{field} must be a language tag such as en or pt.", field=field)) from error
    return "-".join(filter(None, [parsed.language, parsed.script, parsed.territory]))


def same_language(tag: str, language: str) -> bool:
    return tag.split("-")[0].lower() == language.split("-")[0].lower()


async def replace_translations(
    conn: AsyncConnection, service_id: int, translations: Sequence[ServiceTranslationRecord]
) -> None:
    """The service's translations become these (validated), in the upsert's transaction."""
    await conn.execute(delete(service_translations).where(service_translations.c.service_id == service_id))
    if translations:
        rows = [
            {field: getattr(t, field) for field in ServiceTranslationRecord.__dataclass_fields__} for t in translations
        ]
        for row in rows:
            row["service_id"] = service_id
            row["required_documents"] = list(row["required_documents"])
            row["keywords"] = list(row["keywords"])
        await conn.execute(insert(service_translations), rows)


async def kept_translations(conn: AsyncConnection, slug: str) -> list[ServiceTranslationRecord]:
    """An existing service's translations (none for a new one): what its search columns fold in when an upsert
    leaves them as they are."""
    rows = await conn.execute(
        TRANSLATION.join_from(service_translations, services, services.c.id == service_translations.c.service_id)
        .where(services.c.slug == slug)
        .order_by(service_translations.c.locale)
    )
    return records_from_rows(ServiceTranslationRecord, rows.mappings())


def chosen(
    translations: Sequence[ServiceTranslationRecord], preferred: Sequence[str], default_language: str
) -> ServiceTranslationRecord | None:
    """The translation the caller's languages (best first) prefer to the default language's texts, or None."""
    if not translations or not preferred:
        return None
    by_locale = {translation.locale.lower(): translation for translation in translations}
    found = negotiate_locale(list(preferred), [*by_locale, default_language], sep="-")
    return by_locale.get(found.lower()) if found else None


def translated(column: str, language: ColumnElement[str] | str) -> ColumnElement[object]:
    """A services column (name, required_documents) in `language` (a citizen's locale, "en"; a column or a
    value), for statements that read services directly (the mails): the translation of that language where it
    has the field (the exact tag first, "en" before "en-GB"), else the city's own."""
    language_value = language if isinstance(language, ColumnElement) else literal(language)
    own = services.c[column]
    field = service_translations.c[column]
    # an empty list is as unwritten as a null text
    written = func.cardinality(field) > 0 if column in ("required_documents", "keywords") else field.is_not(None)
    in_language = (
        select(field)
        .where(
            service_translations.c.service_id == services.c.id,
            func.split_part(service_translations.c.locale, "-", 1) == func.split_part(language_value, "-", 1),
            written,
        )
        .order_by((service_translations.c.locale == language_value).desc(), service_translations.c.locale)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(in_language, own)
