"""Small checks that turn bad input into a ValidationFailed naming the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import ValidationFailed
from core.messages import msg

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_ID = 2**63 - 1
# what a multi-line text (a comment, a description) may hold besides printable text
_MULTILINE = frozenset("\n\t")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character in `value` (NUL, CR, LF, ESC, DEL, C1, the Unicode line and paragraph
    separators), or None. They break what the text is later written into: mail headers, CSV, logs, PostgreSQL
    (which refuses NUL in text). A multi-line text may hold line feeds and tabs."""
    for char in value:
        if (unicodedata.category(char) in {"Cc", "Zl", "Zp"}) and not (multiline and char in _MULTILINE):
            return char
    return None


def plain_text(field: str, value: str, *, multiline: bool = False) -> str:
    """`value`, or ValidationFailed naming the field when it holds a control character."""
    if control_character(value, multiline=multiline) is not None:
        refusal = (
            msg("{field} must not contain control characters other than line breaks.", field=field)
            if multiline
            else msg("{field} must not contain control characters such as line breaks.", field=field)
        )
        raise ValidationFailed(field, refusal)
    return value


def text_field(field: str, value: str | None, *, max_length: int, min_length: int = 1, multiline: bool = False) -> str:
    cleaned = plain_text(field, (value or "").strip(), multiline=multiline)
    if not min_length <= len(cleaned) <= max_length:
        raise ValidationFailed(
            field, msg("{field} must be {min} to {max} characters long.", field=field, min=min_length, max=max_length)
        )
    return cleaned


def optional_text(field: str, value: str | None, *, max_length: int, multiline: bool = False) -> str | None:
    if value is None or not value.strip():
        return None
    return text_field(field, value, max_length=max_length, multiline=multiline)


def slug(field: str, value: str) -> str:
    cleaned = text_field(field, value, max_length=80)
    if not _SLUG.match(cleaned):
        raise ValidationFailed(field, msg("{field} may hold only lower-case letters, digits and hyphens.", field=field))
    return cleaned


def hhmm(field: str, value: str) -> time:
    match = _HHMM.match(value.strip())
    if not match:
        raise ValidationFailed(field, msg("{field} must be a local time HH:MM, e.g. 08:30.", field=field))
    return time(int(match.group(1)), int(match.group(2)))


def timezone(field: str, value: str) -> str:
    name = value.strip()
    # ZoneInfo also accepts file paths and some legacy links; the IANA list is the contract
    if name not in available_timezones():
        raise ValidationFailed(field, msg("{value} is not an IANA time zone such as Europe/Madrid.", value=repr(value)))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(field, msg("{value} is not a usable time zone.", value=repr(value))) from error
    return name


def integer_range(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValidationFailed(field, msg("{field} must be between {low} and {high}.", field=field, low=low, high=high))
    return value


def parse_id(value: str) -> int | None:
    """An ID as the API shows it, or None when it cannot be one of ours."""
    text = value.strip()
    # isascii first: str.isdigit() also accepts '³' or Arabic-Indic digits, which int() refuses or reads
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def id_field(field: str, value: str) -> int:
    number = parse_id(value)
    if number is None:
        raise ValidationFailed(field, msg("{field} is not a valid ID.", field=field))
    return number


def fold(value: str) -> str:
    """Lower case without accents: 'Renovación' and 'renovacion' match."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
