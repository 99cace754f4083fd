"""Shared feeds: each live queue event rendered once for everyone who asked for the same thing.

A feed is one subscriber of the hub; its members are subscribers of the feed. It renders the office's
events in seq order without a gap (if the hub drops it for falling behind, it subscribes again and reads
what it missed from the table), and hands the finished text to every member's bounded buffer. A member
that cannot keep up is dropped from its own buffer: the feed and the other members never wait for it.
What a feed renders, and who may share it, is the caller's business: the key and the render function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from realtime.buffer import Buffer, SubscriberDropped
from realtime.hub import QueueHub
from realtime.stream import office_events
from resolvers.queue import log
from resolvers.queue.records import QueueEventRecord

logger = logging.getLogger("turnero.realtime")

Render = Callable[[QueueEventRecord], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Rendered:
    seq: int
    text: str
    # what a transport built from the text once for many members (a websocket frame per operation id)
    frames: dict[str, bytes] = field(default_factory=dict, compare=False)


@dataclass(eq=False)
class _Feed:
    office_id: int
    render: Render
    members: set[Buffer[Rendered]] = field(default_factory=set)
    # set once the feed listens to the hub: only then may a member read the table, or it could miss events
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class QueueFeeds:
    def __init__(self, hub: QueueHub, engine: AsyncEngine, *, buffer_limit: int) -> None:
        self._hub = hub
        self._engine = engine
        self._buffer_limit = buffer_limit
        self._feeds: dict[Hashable, _Feed] = {}

    @asynccontextmanager
    async def member(self, key: Hashable, office_id: int, render: Render) -> AsyncIterator[Buffer[Rendered]]:
        """A buffer of the office's events as rendered for `key`, from about now on; read it through
        `office_events`, which replays and fills gaps from the table. Every member of a key must render alike:
        the first one's `render` serves them all."""
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = _Feed(office_id, render)
            feed.task = asyncio.create_task(self._run(key, feed))
        buffer: Buffer[Rendered] = Buffer(self._buffer_limit)
        feed.members.add(buffer)
        try:
            await feed.listening.wait()
            if buffer.dropped:
                raise SubscriberDropped("The feed ended before this subscriber joined it.")
            yield buffer
        finally:
            feed.members.discard(buffer)
            if not feed.members and self._feeds.get(key) is feed:
                del self._feeds[key]
                if feed.task is not None:
                    feed.task.cancel()

    async def stop(self) -> None:
        tasks = [feed.task for feed in self._feeds.values() if feed.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, key: Hashable, feed: _Feed) -> None:
        after: int | None = None
        try:
            while True:
                try:
                    async with self._hub.subscribe(feed.office_id) as live:
                        if after is None:
                            async with self._engine.connect() as conn:
                                after = await log.last_seq(conn, feed.office_id)
                        feed.listening.set()
                        async for event in office_events(self._engine, feed.office_id, after, live):
                            rendered = Rendered(event.seq, await feed.render(event))
                            for member in list(feed.members):
                                if not member.push(rendered):
                                    feed.members.discard(member)
                            after = event.seq
                except SubscriberDropped:
                    # rendering fell behind the hub: listen again and read what was missed from the table
                    logger.warning("queue feed of office %s fell behind; catching up from the table", feed.office_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("queue feed of office %s failed", feed.office_id)
        finally:
            # however the feed ends, nobody is left waiting on it: members are dropped and resubscribe
            if self._feeds.get(key) is feed:
                del self._feeds[key]
            for member in feed.members:
                member.drop()
            feed.listening.set()
