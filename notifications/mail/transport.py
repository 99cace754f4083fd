"""Sending a composed mail: to the SMTP server SMTP_URL names, or without one to `.eml` files on disk.

SMTP_URL, one rule per scheme (port defaults in brackets):

- `smtp://[user:password@]host[:25]` plain SMTP; add `?starttls=1` to require STARTTLS
- `smtp+starttls://[user:password@]host[:587]` STARTTLS required: no mail leaves unencrypted
- `smtps://[user:password@]host[:465]` TLS from the first byte (implicit TLS)

User and password are percent-decoded. Nothing is opportunistic: a server that cannot do the TLS the URL
asks for is an error, never a silent downgrade. Any failure raises; the outbox retries the row later.

A delivery run sends through one `Mailer`, which keeps its SMTP connections open and reuses them: the
handshake (and TLS, and login) once per connection rather than once per mail. A connection the server
closed while it sat idle is replaced and the mail sent on a fresh one; after MESSAGES_PER_CONNECTION mails a
connection is closed politely, below the limits mail servers set.

Without SMTP_URL (the embedded default) each mail is written to `<data dir>/mail/` as one `.eml` file,
written to a temporary name and renamed, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from core.settings import Settings

TIMEOUT_SECONDS = 30
MESSAGES_PER_CONNECTION = 50
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


def _stamp(settings: Settings, message: EmailMessage) -> None:
    """Fills in Message-ID and From if a caller left them out."""
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid()
    if message["From"] is None:
        message["From"] = settings.mail_from


class SmtpConnections:
    """Open connections to one SMTP server, each used by one sender at a time and put back after a mail."""

    def __init__(self, server: SmtpServer, messages_per_connection: int = MESSAGES_PER_CONNECTION) -> None:
        self.server = server
        self.messages_per_connection = messages_per_connection
        self._idle: list[tuple[aiosmtplib.SMTP, int]] = []

    async def send(self, message: EmailMessage) -> None:
        if self._idle:
            client, sent = self._idle.pop()
            try:
                await self._send_on(client, sent, message)
                return
            except aiosmtplib.SMTPServerDisconnected:
                pass  # closed while it sat idle (a server's timeout, a restart): the server never took this mail
        await self._send_on(await self._connect(), 0, message)

    async def _send_on(self, client: aiosmtplib.SMTP, sent: int, message: EmailMessage) -> None:
        """The mail on this connection, which then goes back for the next one; closed on any failure."""
        try:
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        await self._put_back(client, sent + 1)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.server.host,
            port=self.server.port,
            username=self.server.username,
            password=self.server.password,
            use_tls=self.server.implicit_tls,
            start_tls=self.server.starttls,  # False means never: no opportunistic upgrade
            timeout=TIMEOUT_SECONDS,
        )
        await client.connect()
        return client

    async def _put_back(self, client: aiosmtplib.SMTP, sent: int) -> None:
        if sent < self.messages_per_connection:
            self._idle.append((client, sent))
        else:
            await _quit(client)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(client) for client, _ in idle))


async def _quit(client: aiosmtplib.SMTP) -> None:
    """QUIT if the server still listens; the connection is closed either way."""
    with suppress(aiosmtplib.SMTPException, OSError):
        await client.quit()
    client.close()


class Mailer:
    """The way out for a run of mails: SMTP over reused connections, or `.eml` files without SMTP_URL."""

    def __init__(self, settings: Settings, messages_per_connection: int = MESSAGES_PER_CONNECTION) -> None:
        self.settings = settings
        self.connections = (
            SmtpConnections(smtp_server(settings.smtp_url), messages_per_connection) if settings.smtp_url else None
        )

    async def send(self, message: EmailMessage) -> None:
        """Sends or writes the mail; raises on any failure."""
        _stamp(self.settings, message)
        if self.connections is not None:
            await self.connections.send(message)
        else:
            await asyncio.to_thread(write_eml, self.settings.data_dir / "mail", message)

    async def close(self) -> None:
        if self.connections is not None:
            await self.connections.close()


@asynccontextmanager
async def mailer(settings: Settings, messages_per_connection: int = MESSAGES_PER_CONNECTION) -> AsyncIterator[Mailer]:
    out = Mailer(settings, messages_per_connection)
    try:
        yield out
    finally:
        await out.close()


async def send(settings: Settings, message: EmailMessage) -> None:
    """One mail on its own connection; raises on any failure."""
    async with mailer(settings) as out:
        await out.send(message)


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
