"""The live queue of one `serve` process: its hub, its shared feeds and its ticket watchers.

Only `serve` opens it (server/app.py's lifespan): it holds a Redis pub/sub connection and a safety
poller, which the worker and the command-line tools have no use for (they open `core.runtime.open_state`
alone). Resolvers reach it through the GraphQL context (`Context.live`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from core.runtime import AppState
from realtime.feed import QueueFeeds
from realtime.hub import QueueHub
from realtime.ticket_watch import TicketWatches


@dataclass(frozen=True, slots=True)
class LiveQueue:
    engine: AsyncEngine
    hub: QueueHub
    feeds: QueueFeeds
    tickets: TicketWatches


@asynccontextmanager
async def open_live_queue(state: AppState) -> AsyncIterator[LiveQueue]:
    settings = state.settings
    assert settings.redis_url, "resolve_servers() first"
    hub = QueueHub(state.engine, settings.redis_url, buffer_limit=settings.queue_buffer_limit)
    feeds = QueueFeeds(hub, state.engine, buffer_limit=settings.queue_buffer_limit)
    tickets = TicketWatches(hub, state.engine, buffer_limit=settings.queue_buffer_limit)
    await hub.start()
    try:
        yield LiveQueue(engine=state.engine, hub=hub, feeds=feeds, tickets=tickets)
    finally:
        await tickets.stop()
        await feeds.stop()
        await hub.stop()
