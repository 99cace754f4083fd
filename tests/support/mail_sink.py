"""A real SMTP server for the tests (aiosmtpd), which can be told to refuse or to stall."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass
class Sink:
    """What the server received; `refuse` answers every DATA with a temporary failure, `stall` waits first.
    `parse=False` only counts (a benchmark's sink must not be the bottleneck it measures). `peers` are the
    client ends of the connections mail came over; `hang_up` closes each connection after its reply, as a
    server's idle timeout would."""

    messages: list[EmailMessage] = field(default_factory=list)
    received: int = 0
    parse: bool = True
    refuse: bool = False
    stall_seconds: float = 0.0
    hang_up: bool = False
    peers: set[tuple[str, int]] = field(default_factory=set)
    port: int = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_seconds:
            await asyncio.sleep(self.stall_seconds)
        if self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        self.received += 1
        self.peers.add(session.peer)
        if self.hang_up:
            asyncio.get_running_loop().call_later(0.01, server.transport.close)
        if not self.parse and self.messages:
            return "250 OK"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    sink = Sink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
