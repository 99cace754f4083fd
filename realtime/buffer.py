"""A subscriber's bounded buffer: a slow reader is dropped, never waited for and never allowed to grow.

A reader waiting on an empty buffer may leave a `direct` hand-off: the publisher then gives it the next
items itself, in its own task, instead of waking the reader's (a shared feed writes an event to ten
thousand sockets in one loop rather than through ten thousand task switches). Whatever the hand-off
declines is buffered and wakes the reader as before, and every later item follows it there.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
# takes an item on the reader's behalf: True once it is dealt with, False to leave it (and what follows) to the reader
Direct = Callable[[Item], bool]


class SubscriberDropped(Exception):
    """The subscriber fell too far behind; its client reconnects with afterSeq and replays what it missed."""


class Buffer(Generic[Item]):
    def __init__(self, limit: int) -> None:
        self._items: deque[Item] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._direct: Direct[Item] | None = None
        self.dropped = False

    def push(self, item: Item) -> bool:
        """Never blocks the publisher: False (and the subscriber dropped) when the buffer is full."""
        if self.dropped:
            return False
        direct = self._direct
        if direct is not None:
            if direct(item):
                return True
            self._direct = None  # declined: this item and every later one go through the reader, in order
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

    async def get(self, direct: Direct[Item] | None = None) -> Item:
        """The next item; while there is none, `direct` (if given) takes what is pushed in the reader's place."""
        while not self._items:
            if self.dropped:
                raise SubscriberDropped("This subscriber fell behind; reconnect with afterSeq.")
            self._ready.clear()
            self._direct = direct
            try:
                await self._ready.wait()
            finally:
                self._direct = None
        if self.dropped:
            raise SubscriberDropped("This subscriber fell behind; reconnect with afterSeq.")
        return self._items.popleft()

    def drain(self) -> int:
        """Discards what is already buffered (a board redraws once for a burst of events); how many there were."""
        count = len(self._items)
        self._items.clear()
        return count
