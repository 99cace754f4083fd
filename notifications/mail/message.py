"""Putting a rendered mail together: text and HTML alternatives, inline images, attachments, headers."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from core.settings import Settings
from core.validation import control_character
from notifications.mail.ics import CALENDAR_PARAMS
from notifications.mail.render import Rendered


@dataclass(frozen=True, slots=True)
class InlineImage:
    """Shown inside the HTML as `<img src="cid:…">`; the HTML also says in words what the image shows."""

    content_id: str
    png: bytes


@dataclass(frozen=True, slots=True)
class CalendarAttachment:
    filename: str
    ics: bytes


def one_line(text: str) -> str:
    """`text` fit for a header: control characters (CR, LF, NUL, …) become spaces, runs of spaces one. Inputs
    refuse them, but a name stored before they did must not make its mail fail every retry (a header with a
    line break is refused by the email package: rightly, it would let the text write headers of its own)."""
    return " ".join("".join(" " if control_character(char) else char for char in text).split())


def sender_domain(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "turnero.localhost"


def new_content_id(settings: Settings) -> str:
    return make_msgid(domain=sender_domain(settings))[1:-1]


def build_message(
    settings: Settings,
    *,
    to_name: str,
    to_address: str,
    lang: str,
    rendered: Rendered,
    image: InlineImage | None = None,
    calendar: CalendarAttachment | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = Address(display_name=one_line(to_name), addr_spec=to_address)
    message["Subject"] = one_line(rendered.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender_domain(settings))
    # RFC 3834: auto-responders must not answer, and mailing lists may treat it as automatic
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    if image is not None and html_part is not None:
        html_part.add_related(
            image.png, maintype="image", subtype="png", cid=f"<{image.content_id}>", disposition="inline"
        )
    if calendar is not None:
        # RFC 5545 §8.1 and RFC 6047 §2.4: the part names its charset (the file is UTF-8; a strict client
        # would read accents as Latin-1 without it) and the iTIP method the file's METHOD property says
        message.add_attachment(
            calendar.ics,
            maintype="text",
            subtype="calendar",
            filename=calendar.filename,
            params=CALENDAR_PARAMS,
        )
    # last: building the body moves or drops the Content-* headers already set
    message["Content-Language"] = lang
    return message
