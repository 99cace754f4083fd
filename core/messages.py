"""Messages in the caller's language (issue 16): what a UserError says, written in English in the source as a
gettext msgid and translated once, where the UserError is made (schema/errors.py).

A message with values is a template and its parameters, never a formatted string, so that the template is the
one msgid a translator sees: `msg("At most {count} entries to a draw come from one address.", count=4)`. A
parameter may itself be a Message (a status word, a sentence shared by several messages): it is translated in
the same language. Templates are literals: tests/api/test_error_messages.py extracts every one with babel's
extractor and checks that the Spanish catalogue (core/locale/es/LC_MESSAGES/errors.po) translates it with the
same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Formatter

from babel.core import negotiate_locale
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# the source language (the msgids) first; the others have a catalogue under LOCALE_DIR
SOURCE_LANGUAGE = "en"
LANGUAGES = ("es", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "errors"


@dataclass(frozen=True, slots=True)
class Message:
    """A msgid and the values its {placeholders} take."""

    template: str
    params: Mapping[str, str | int | Message] = field(default_factory=dict)

    def render(self, language: str = SOURCE_LANGUAGE) -> str:
        """The message in `language` (one of LANGUAGES); the English template where no translation exists."""
        template = (
            self.template if language == SOURCE_LANGUAGE else catalogue(language).get(self.template, self.template)
        )
        values = {
            name: value.render(language) if isinstance(value, Message) else value for name, value in self.params.items()
        }
        return template.format_map(values)

    def __str__(self) -> str:
        return self.render()


def msg(template: str, /, **params: str | int | Message) -> Message:
    """A message to translate: `template` a literal English text whose {names} are the keyword arguments."""
    return Message(template, params)


def as_message(text: str | Message) -> Message:
    """What DomainError keeps: a plain literal without values is its own msgid."""
    return text if isinstance(text, Message) else Message(text)


def placeholders(template: str) -> set[str]:
    """The names a template fills, as str.format reads them."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """msgid -> translation for one language, read once from its .po file; fuzzy and empty entries left out."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as file:
        found = read_po(file, locale=language, domain=DOMAIN)
    # plural entries (an id and a string that are tuples) are not used: counts are values in one sentence
    return {
        entry.id: entry.string
        for entry in found
        if isinstance(entry.id, str) and isinstance(entry.string, str) and entry.id and entry.string and not entry.fuzzy
    }


def language_of(accept_language: str | None, default: str) -> str:
    """The first of LANGUAGES the caller accepts (Accept-Language, or a bare tag such as a citizen's locale
    "es-AR"), in the caller's order of preference; `default` when none is, or nothing was said."""
    found = negotiate_locale(list(preferred_languages(accept_language)), LANGUAGES, sep="-")
    return found.split("-")[0].lower() if found else default


def preferred_languages(accept_language: str | None) -> tuple[str, ...]:
    """The language tags of an Accept-Language header (or a bare tag), best first by quality; "*" aside."""
    if not accept_language or not accept_language.strip():
        return ()
    header = accept_language.replace("_", "-")  # a POSIX-style locale (es_AR) names the same language
    return tuple(tag for tag in parse_accept_header(header, LanguageAccept).values() if tag != "*")


# the states of bookings, tickets, waitlist and draw entries as a citizen reads them inside a sentence ("A
# cancelled booking cannot be moved."): the models' enum values, which core cannot import, as keys
_STATUS_WORDS = {
    "PENDING": msg("pending"),
    "BOOKED": msg("booked"),
    "CANCELLED": msg("cancelled"),
    "CHECKED_IN": msg("checked in"),
    "COMPLETED": msg("completed"),
    "NO_SHOW": msg("no show"),
    "WAITING": msg("waiting"),
    "OFFERED": msg("offered"),
    "EXPIRED": msg("expired"),
    "LEFT": msg("left"),
    "ENTERED": msg("entered"),
    "WON": msg("won"),
    "WAITLISTED": msg("waitlisted"),
    "WITHDRAWN": msg("withdrawn"),
    "INELIGIBLE": msg("ineligible"),
}


def status_word(status: str) -> Message:
    """A status (an enum's value) as a translatable word; one without a word is shown as its value, lower case."""
    return _STATUS_WORDS.get(str(status).upper(), Message(str(status).lower().replace("_", " ")))
