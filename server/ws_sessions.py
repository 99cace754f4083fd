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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.http.async_base_view import AsyncWebSocketAdapter

from resolvers.accounts.viewer import Viewer
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


# a credential as the statement below names it: ("session" | "device" | "partner_key", row id)
Credential = tuple[str, int]

_ENDED = text("""
    SELECT 'session' AS kind, c.id FROM unnest(CAST(:sessions AS bigint[])) AS c(id)
    WHERE NOT EXISTS (
        SELECT 1 FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.id = c.id AND s.expires_at > now() AND u.disabled_at IS NULL)
    UNION ALL
    SELECT 'device', c.id FROM unnest(CAST(:devices AS bigint[])) AS c(id)
    WHERE NOT EXISTS (SELECT 1 FROM device_tokens d WHERE d.id = c.id AND d.revoked_at IS NULL)
    UNION ALL
    SELECT 'partner_key', c.id FROM unnest(CAST(:partner_keys AS bigint[])) AS c(id)
    WHERE NOT EXISTS (SELECT 1 FROM partner_keys k WHERE k.id = c.id AND k.revoked_at IS NULL)
""")

logger = logging.getLogger("turnero.ws_sessions")


def credential(viewer: Viewer) -> Credential | None:
    """What a socket's viewer authenticated with; None for anonymous callers, who have nothing to end."""
    if viewer.session_id is not None:
        return ("session", viewer.session_id)
    if viewer.device_id is not None:
        return ("device", viewer.device_id)
    if viewer.partner_key_id is not None:
        return ("partner_key", viewer.partner_key_id)
    return None


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
        ids: dict[str, list[int]] = {"session": [], "device": [], "partner_key": []}
        for kind, number in held:
            ids[kind].append(number)
        async with self.engine.connect() as conn:
            ended = (
                await conn.execute(
                    _ENDED, {"sessions": ids["session"], "devices": ids["device"], "partner_keys": ids["partner_key"]}
                )
            ).all()
        closing = [handler for kind, number in ended for handler in held[(kind, number)]]
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
