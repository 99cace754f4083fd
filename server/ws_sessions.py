"""Open websockets whose credential ends (logout, revoked, expired, user disabled) are closed with 4403.

HTTP requests authenticate on every call, so an ended credential gets 401 at once; a websocket authenticates
once, at connection_init, and would otherwise keep receiving for as long as it stays open. One watcher per
process (per engine) keeps the open sockets and, every `CHECK_EVERY_SECONDS`, asks in ONE statement which of
the credentials behind them are no longer valid, then closes those sockets. The statement carries each
distinct credential once, so thousands of sockets on a few hundred credentials cost one small query every
two seconds; a socket is closed within that interval plus the query's time of its credential ending.
The watcher runs only while the process has open sockets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.http.async_base_view import AsyncWebSocketAdapter

from resolvers.accounts.credentials import Credential, credential, ended_credentials
from schema.context import Context

CHECK_EVERY_SECONDS = 2.0
CLOSE_CODE = 4403
CLOSE_REASON = "The session or token has ended."


class Handler(Protocol):
    """A websocket connection's handler, of either protocol strawberry speaks."""

    @property
    def context(self) -> Context: ...

    @property
    def websocket(self) -> AsyncWebSocketAdapter: ...

    async def stop_operations(self) -> None:
        """Cancels its running operations, so that none sends on the socket once it is closed."""


logger = logging.getLogger("turnero.ws_sessions")


class SocketWatcher:
    def __init__(self, engine: AsyncEngine, every: float = CHECK_EVERY_SECONDS) -> None:
        self.engine = engine
        self.every = every
        self.sockets: set[Handler] = set()
        self.task: asyncio.Task[None] | None = None

    def add(self, handler: Handler) -> None:
        self.sockets.add(handler)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="turnero-ws-sessions")

    def discard(self, handler: Handler) -> None:
        self.sockets.discard(handler)

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(self.every)
            try:
                await self.sweep()
            except Exception:
                # the database away for a moment: the next round tries again
                logger.warning("could not check the credentials of open websockets", exc_info=True)

    async def sweep(self) -> int:
        """Closes the sockets whose credential has ended; how many it closed."""
        held: dict[Credential, list[Handler]] = {}
        for handler in list(self.sockets):
            # the viewer is set at connection_init, after the socket was added
            found = credential(handler.context.viewer)
            if found is not None:
                held.setdefault(found, []).append(handler)
        if not held:
            return 0
        async with self.engine.connect() as conn:
            ended = await ended_credentials(conn, held)
        closing = [handler for found in ended for handler in held[found]]
        for handler in closing:
            await _close(handler)
        return len(closing)


async def _close(handler: Handler) -> None:
    await handler.stop_operations()
    with suppress(Exception):  # the client went away by itself meanwhile
        await handler.websocket.close(CLOSE_CODE, CLOSE_REASON)


_watchers: dict[AsyncEngine, SocketWatcher] = {}


@asynccontextmanager
async def watched(handler: Handler) -> AsyncIterator[None]:
    """Around a graphql-transport-ws connection's life: while it is open, its credential is watched."""
    engine = handler.context.state.engine
    watcher = _watchers.get(engine)
    if watcher is None:
        watcher = _watchers[engine] = SocketWatcher(engine)
    watcher.add(handler)
    try:
        yield
    finally:
        watcher.discard(handler)
