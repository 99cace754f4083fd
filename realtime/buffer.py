"""A subscriber's bounded buffer: a slow reader is dropped, never waited for and never allowed to grow."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

Item = TypeVar("Item")


class SubscriberDropped(Exception):
    """The subscriber fell too far behind; its client reconnects with afterSeq and replays what it missed."""


class Buffer(Generic[Item]):
    def __init__(self, limit: int) -> None:
        self._items: deque[Item] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self.dropped = False

    def push(self, item: Item) -> bool:
        """Never blocks the publisher: False (and the subscriber dropped) when the buffer is full."""
        if self.dropped:
            return False
        if len(self._items) >= self._limit:
            self.drop()
            return False
        self._items.append(item)
        self._ready.set()
        return True

    def drop(self) -> None:
        """Ends the subscription from the publisher's side: what is buffered is freed, the reader told at once."""
        self.dropped = True
        self._items.clear()
        self._ready.set()

    async def get(self) -> Item:
        while not self._items:
            if self.dropped:
                raise SubscriberDropped("This subscriber fell behind; reconnect with afterSeq.")
            self._ready.clear()
            await self._ready.wait()
        if self.dropped:
            raise SubscriberDropped("This subscriber fell behind; reconnect with afterSeq.")
        return self._items.popleft()

    def drain(self) -> int:
        """Discards what is already buffered (a board redraws once for a burst of events); how many there were."""
        count = len(self._items)
        self._items.clear()
        return count
