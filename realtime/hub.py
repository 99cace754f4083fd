"""Each API process holds one hub: queue events from every process, fanned out to local subscribers.

Redis pub/sub (broadcaster) is only the doorbell: a message says "office N has new events". The hub
then reads the new `queue_events` rows once, in seq order, and hands each to every local subscriber's
bounded buffer. The table is the record: a lost doorbell or a Redis outage only delays delivery until
the next doorbell or the safety poll, which also rebuilds the Redis subscription when it has died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from broadcaster import Broadcast
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from realtime.buffer import Buffer
from realtime.library_internals import broadcast_alive, redis_broadcast
from resolvers.queue import log
from resolvers.queue.records import QueueEventRecord

logger = logging.getLogger("turnero.realtime")

BUFFER_LIMIT = 512
POLL_SECONDS = 2.0


def channel(office_id: int) -> str:
    return f"turnero:queue:{office_id}"


@dataclass
class _Office:
    last_seq: int
    subscribers: set[Buffer[QueueEventRecord]] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    listener: asyncio.Task[None] | None = None


class QueueHub:
    def __init__(
        self,
        engine: AsyncEngine,
        redis_url: str,
        *,
        buffer_limit: int = BUFFER_LIMIT,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._engine = engine
        self._redis_url = redis_url
        self._buffer_limit = buffer_limit
        self._poll_seconds = poll_seconds
        self._offices: dict[int, _Office] = {}
        self._broadcast: Broadcast | None = None
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect()
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
        for office in self._offices.values():
            if office.listener:
                office.listener.cancel()
        await self._disconnect()

    async def _connect(self) -> None:
        broadcast = redis_broadcast(self._redis_url)
        await broadcast.connect()
        self._broadcast = broadcast

    async def _disconnect(self) -> None:
        broadcast, self._broadcast = self._broadcast, None
        if broadcast is not None:
            with contextlib.suppress(Exception):
                await broadcast.disconnect()

    async def publish(self, events: list[QueueEventRecord]) -> None:
        """After commit: ring each office's doorbell. A failure is logged, not raised: the poll delivers."""
        for office_id in sorted({event.office_id for event in events}):
            try:
                if self._broadcast is None:
                    raise ConnectionError("not connected to Redis")
                await self._broadcast.publish(
                    channel(office_id), str(max(e.seq for e in events if e.office_id == office_id))
                )
            except Exception as error:  # Redis down: subscribers catch up at the next poll
                logger.warning("could not publish queue events of office %s: %r", office_id, error)
            # this process's own subscribers need no round trip through Redis
            if office_id in self._offices:
                await self._catch_up(office_id)

    @asynccontextmanager
    async def subscribe(self, office_id: int) -> AsyncIterator[Buffer[QueueEventRecord]]:
        office = self._offices.get(office_id)
        if office is None:
            async with self._engine.connect() as conn:
                office = self._offices.setdefault(office_id, _Office(last_seq=await log.last_seq(conn, office_id)))
        if office.listener is None or office.listener.done():
            office.listener = asyncio.create_task(self._listen(office_id))
        buffer: Buffer[QueueEventRecord] = Buffer(self._buffer_limit)
        office.subscribers.add(buffer)
        try:
            yield buffer
        finally:
            office.subscribers.discard(buffer)
            if not office.subscribers and self._offices.get(office_id) is office:
                del self._offices[office_id]
                if office.listener:
                    office.listener.cancel()

    def subscriber_count(self) -> int:
        """Every local subscriber, of every office (for /metrics)."""
        return sum(len(office.subscribers) for office in self._offices.values())

    def subscribers(self, office_id: int) -> int:
        office = self._offices.get(office_id)
        return len(office.subscribers) if office else 0

    async def _listen(self, office_id: int) -> None:
        broadcast = self._broadcast
        if broadcast is None:
            return  # the poll delivers until Redis is back and the listener is restarted
        try:
            async with broadcast.subscribe(channel(office_id)) as doorbell:
                while True:
                    await doorbell.get()
                    await self._catch_up(office_id)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("queue doorbell of office %s lost: %r", office_id, error)

    async def _catch_up(self, office_id: int) -> None:
        """Reads the office's new events once and hands them, in order, to every local subscriber."""
        office = self._offices.get(office_id)
        if office is None:
            return
        async with office.lock:
            while True:
                async with self._engine.connect() as conn:
                    events = await log.events_after(conn, office_id, office.last_seq)
                for event in events:
                    for buffer in list(office.subscribers):
                        if not buffer.push(event):
                            office.subscribers.discard(buffer)
                    office.last_seq = event.seq
                if len(events) < 1000:
                    return

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self._check()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("queue poll failed: %r", error)

    def _redis_alive(self) -> bool:
        broadcast = self._broadcast
        if broadcast is None:
            return False
        return broadcast_alive(broadcast)

    async def _check(self) -> None:
        if self._offices:
            async with self._engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT office_id, last_seq FROM office_queue_counters WHERE office_id = ANY(:ids)"),
                    {"ids": list(self._offices)},
                )
                behind = [
                    row.office_id
                    for row in rows
                    if row.office_id in self._offices and row.last_seq > self._offices[row.office_id].last_seq
                ]
            for office_id in behind:
                await self._catch_up(office_id)
        if not self._redis_alive():
            await self._disconnect()
            await self._connect()
            for office_id, office in self._offices.items():
                if office.listener:
                    office.listener.cancel()
                office.listener = asyncio.create_task(self._listen(office_id))
