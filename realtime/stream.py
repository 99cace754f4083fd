"""An office's events for one subscriber: the replay from the table first, then live, with no event lost
or repeated at the hand-over and any gap filled from the table."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from realtime.buffer import Buffer
from resolvers.queue import log
from resolvers.queue.records import QueueEventRecord

BATCH = 1000


class Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


# what the live buffer carries: the hub's records, or a shared feed's already rendered events
Live = TypeVar("Live", bound=Sequenced)


async def _from_table(
    engine: AsyncEngine, office_id: int, after: int, upto: int | None = None
) -> AsyncIterator[QueueEventRecord]:
    while True:
        async with engine.connect() as conn:
            batch = await log.events_after(conn, office_id, after, BATCH)
        for event in batch:
            if upto is not None and event.seq > upto:
                return
            yield event
            after = event.seq
        if len(batch) < BATCH:
            return


class _Cursor(Generic[Live]):
    """The hand-off a caught-up subscriber leaves on its buffer: the next event in seq order is delivered
    by the publisher; one already sent is passed over; a gap, or a delivery refused, goes back to the reader."""

    __slots__ = ("_deliver", "last")

    def __init__(self, last: int, deliver: Callable[[Live], bool]) -> None:
        self.last = last
        self._deliver = deliver

    def __call__(self, item: Live) -> bool:
        if item.seq <= self.last:
            return True  # already replayed
        if item.seq != self.last + 1 or not self._deliver(item):
            return False
        self.last = item.seq
        return True


async def office_events(
    engine: AsyncEngine,
    office_id: int,
    after_seq: int | None,
    live: Buffer[Live],
    deliver: Callable[[Live], bool] | None = None,
) -> AsyncGenerator[QueueEventRecord | Live, None]:
    """`live` must be subscribed before this starts, so that nothing committed meanwhile is missed.

    What comes from the table is a record; what comes live is whatever `live` carries, in seq order.
    With `deliver`, live events that arrive while this waits, caught up, are handed to it by the publisher
    instead (it returns False to refuse one, which then comes out here, and so does everything after it)."""
    if after_seq is None:
        async with engine.connect() as conn:
            last = await log.last_seq(conn, office_id)
    else:
        last = after_seq
        async for event in _from_table(engine, office_id, last):
            yield event
            last = event.seq
    cursor = None if deliver is None else _Cursor(last, deliver)
    while True:
        if cursor is None:
            item = await live.get()
        else:
            cursor.last = last
            item = await live.get(cursor)
            last = cursor.last
        if item.seq <= last:
            continue  # already replayed
        if item.seq > last + 1:
            async for missing in _from_table(engine, office_id, last, upto=item.seq - 1):
                yield missing
                last = missing.seq
        yield item
        last = item.seq
