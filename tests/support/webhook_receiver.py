"""A real HTTP server for the webhook tests: minimal HTTP/1.1 on asyncio, recording what it receives.

It answers with the status codes it is given, in order, then `then`, each with `answer_headers`; with
`hang` it never answers (until the test ends, or `released` is set). A receiver verifies signatures the way
a partner would, from the Standard Webhooks spec alone: nothing here imports the platform's signing code.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() when the request had fully arrived


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)
    then: int = 200
    hang: bool = False
    answer_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set at the first request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/turnero"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            _, path, _ = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(path, headers, body, time.monotonic()))
            self.arrived.set()
            if self.hang:
                await self.released.wait()
            status = self.answers.pop(0) if self.answers else self.then
            extra = "".join(f"{name}: {value}\r\n" for name, value in self.answer_headers.items())
            writer.write(f"HTTP/1.1 {status} Status\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the sender gave up (timeout): nothing more to say
        finally:
            writer.close()


@asynccontextmanager
async def webhook_receiver(
    answers: list[int] | None = None, *, then: int = 200, hang: bool = False, headers: dict[str, str] | None = None
) -> AsyncIterator[Receiver]:
    receiver = Receiver(answers=list(answers or []), then=then, hang=hang, answer_headers=dict(headers or {}))
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.close()
        with suppress(Exception):
            await server.wait_closed()


def verify(secret: str, request: Received) -> bool:
    """Standard Webhooks, symmetric: HMAC-SHA256 with the base64 key after `whsec_`, over `id.timestamp.body`,
    compared in constant time with each `v1,` signature of the space-delimited header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = request.headers["webhook-signature"].split(" ")
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (part.partition(",") for part in offered)
    )
