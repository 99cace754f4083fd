"""Mail text from Jinja2 templates, one set per language: plain text and accessible HTML.

Each kind has `<lang>/<kind>.txt` and `<lang>/<kind>.html`; the text template also sets `subject`. HTML
is autoescaped (names, reasons and addresses come from people); plain text is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

LANGUAGES = ("es", "en")
TEMPLATES = Path(__file__).with_name("templates")

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
    # a value a template expects but was not given is a bug to see, not an empty line in a citizen's mail
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def language(locale: str | None) -> str:
    """The booking's language if we write in it, else Spanish."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else LANGUAGES[0]


def local_date_and_time(moment: datetime, timezone: str, lang: str) -> tuple[str, str]:
    """As people write it in that language, on the office's clock: ("jueves, 5 de marzo de 2026", "9:00")."""
    local = moment.astimezone(ZoneInfo(timezone))
    return format_date(local, "full", locale=lang), format_time(local, "short", locale=lang)


def _tidy(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def render_text(name: str, lang: str, values: Mapping[str, Any]) -> str:
    return _tidy(_environment.get_template(f"{lang}/{name}.txt").render({**values, "lang": lang}))


def render(name: str, lang: str, values: Mapping[str, Any]) -> Rendered:
    text = _environment.get_template(f"{lang}/{name}.txt").make_module({**values, "lang": lang})
    # the template's top-level `set subject = …`, folded to one line as a header must be
    subject = " ".join(str(vars(text)["subject"]).split())
    html = _environment.get_template(f"{lang}/{name}.html").render({**values, "lang": lang, "subject": subject})
    return Rendered(subject=subject, text=_tidy(str(text)), html=html)
