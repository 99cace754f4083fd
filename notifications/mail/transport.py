"""Sending a composed mail: to the SMTP server SMTP_URL names, or without one to `.eml` files on disk.

SMTP_URL, one rule per scheme (port defaults in brackets):

- `smtp://[user:password@]host[:25]` plain SMTP; add `?starttls=1` to require STARTTLS
- `smtp+starttls://[user:password@]host[:587]` STARTTLS required: no mail leaves unencrypted
- `smtps://[user:password@]host[:465]` TLS from the first byte (implicit TLS)

User and password are percent-decoded. Nothing is opportunistic: a server that cannot do the TLS the URL
asks for is an error, never a silent downgrade. Any failure raises; the outbox retries the row later.

Without SMTP_URL (the embedded default) each mail is written to `<data dir>/mail/` as one `.eml` file,
written to a temporary name and renamed, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from core.settings import Settings

TIMEOUT_SECONDS = 30
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_YES = {"1", "true", "yes", "on"}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    def __repr__(self) -> str:  # never the password, should this end up in a log
        return f"SmtpServer({self.host}:{self.port}, tls={self.implicit_tls}, starttls={self.starttls})"


def smtp_server(url: str) -> SmtpServer:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        # the URL itself is not repeated: it may hold a password
        raise ValueError("SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host")
    wants_starttls = parse_qs(parts.query).get("starttls", [""])[-1].lower() in _YES
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=scheme == "smtps",
        starttls=scheme == "smtp+starttls" or (scheme == "smtp" and wants_starttls),
    )


async def send(settings: Settings, message: EmailMessage) -> None:
    """Sends or writes the mail; raises on any failure. Fills in Message-ID and From if a caller left them out."""
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid()
    if message["From"] is None:
        message["From"] = settings.mail_from
    if settings.smtp_url:
        await _send_smtp(smtp_server(settings.smtp_url), message)
    else:
        await asyncio.to_thread(write_eml, settings.data_dir / "mail", message)


async def _send_smtp(server: SmtpServer, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.implicit_tls,
        start_tls=server.starttls,  # False means never: no opportunistic upgrade
        timeout=TIMEOUT_SECONDS,
    )


def write_eml(directory: Path, message: EmailMessage) -> Path:
    """`<UTC timestamp>-<Message-ID>.eml`: sorted by name is sorted by time; the ID keeps names unique."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    message_id = _UNSAFE_FILENAME.sub("_", str(message["Message-ID"]).strip("<> "))
    path = directory / f"{stamp}-{message_id}.eml"
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
