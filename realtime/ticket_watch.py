"""Followers of one ticket share one watcher: one read of the ticket per burst of its office's events.

A citizen's phone follows its ticket (`ticketUpdates`); a ticket shared in a family chat, or a script that
opens thousands of subscriptions to one ticket, must not turn each queue event into as many reads. The
first follower of a ticket in this process starts its watcher: one hub subscription, one read of the ticket
after each burst of the office's events, and one set of loaders per sighting, which every follower's
selection set reads through, so whatever they ask (position, wait, desk) is read once for all of them.
Following a transfer to the next ticket, and ending once the ticket is final, happen once in the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from dataloaders import Loaders
from models.queue import TicketStatus
from realtime.buffer import Buffer, SubscriberDropped
from realtime.hub import QueueHub
from resolvers.queue import tickets
from resolvers.queue.records import TicketRecord, Wait

logger = logging.getLogger("turnero.realtime")

FINAL = frozenset({TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED, TicketStatus.TRANSFERRED})


@dataclass(frozen=True, slots=True)
class Sighting:
    """The ticket as read after an event, and the loaders every follower reads its other fields through."""

    ticket: TicketRecord
    loaders: Loaders


# what a follower is shown: the ticket, and its place and estimate while it waits
Seen = tuple[TicketRecord, Wait | None]

# what a follower's buffer carries: a sighting, or None once the watch is over (the ticket is final)
Update = Sighting | None


@dataclass(eq=False)
class _Watch:
    members: set[Buffer[Update]] = field(default_factory=set)
    latest: Sighting | None = None
    # set once the first sighting is out (or the ticket turned out not to exist)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    over: bool = False
    task: asyncio.Task[None] | None = None


class TicketWatches:
    def __init__(self, hub: QueueHub, engine: AsyncEngine, *, buffer_limit: int) -> None:
        self._hub = hub
        self._engine = engine
        self._buffer_limit = buffer_limit
        self._watches: dict[int, _Watch] = {}

    @asynccontextmanager
    async def follow(self, ticket_id: int) -> AsyncIterator[Buffer[Update] | None]:
        """The ticket's sightings, the current one first; None when there is no such ticket."""
        watch = self._watches.get(ticket_id)
        if watch is None or watch.over:
            watch = self._watches[ticket_id] = _Watch()
            watch.task = asyncio.create_task(self._run(ticket_id, watch))
        buffer: Buffer[Update] = Buffer(self._buffer_limit)
        if watch.ready.is_set() and watch.latest is not None:
            # joining a running watch: it starts from the latest sighting, as a fresh read would
            buffer.push(watch.latest)
        watch.members.add(buffer)
        try:
            await watch.ready.wait()
            if watch.latest is None and not buffer.dropped:
                yield None
                return
            yield buffer
        finally:
            watch.members.discard(buffer)
            if not watch.members and self._watches.get(ticket_id) is watch:
                del self._watches[ticket_id]
                if watch.task is not None:
                    watch.task.cancel()

    def watched(self) -> int:
        """How many tickets this process watches (for tests and /metrics)."""
        return len(self._watches)

    async def stop(self) -> None:
        tasks = [watch.task for watch in self._watches.values() if watch.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _ticket(self, ticket_id: int) -> TicketRecord:
        async with self._engine.connect() as conn:
            found = await tickets.ticket(conn, ticket_id)
        assert found is not None, "tickets are never deleted"
        return found

    def _publish(self, watch: _Watch, update: Update) -> None:
        if update is not None:
            watch.latest = update
        for member in list(watch.members):
            if not member.push(update):
                watch.members.discard(member)
        watch.ready.set()

    async def _run(self, ticket_id: int, watch: _Watch) -> None:
        try:
            async with self._engine.connect() as conn:
                current = await tickets.ticket(conn, ticket_id)
            while current is not None:
                current = await self._watch_one(watch, current)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the watcher of ticket %s failed", ticket_id)
            for member in list(watch.members):
                member.drop()
        finally:
            # however it ends, nobody is left waiting: a follower that joins later starts a new watch
            watch.over = True
            if self._watches.get(ticket_id) is watch:
                del self._watches[ticket_id]
            if not watch.ready.is_set():
                watch.ready.set()

    async def _sight(self, watch: _Watch, ticket: TicketRecord, seen: Seen | None) -> Seen:
        """Publishes the ticket when what its followers see changed; returns what they see now.

        Most events of an office are other people's: the ticket, its place and its estimate stay as they
        were, and its followers are sent nothing (each message is an execution and a send per follower).
        The place and estimate are read through the sighting's loaders, so a follower asking them reads
        the same value without a query of its own."""
        loaders = Loaders.create(self._engine)
        wait = await loaders.waits_by_ticket.load(ticket.id) if ticket.status is TicketStatus.WAITING else None
        if ticket.status is TicketStatus.WAITING and wait is None and seen is not None:
            # every waiting ticket has a place; none means it was called between the two reads: the event
            # that called it comes next, and showing "waiting, no place" meanwhile would be wrong
            return seen
        now = (ticket, wait)
        if now != seen:
            self._publish(watch, Sighting(ticket, loaders))
        return now

    async def _watch_one(self, watch: _Watch, ticket: TicketRecord) -> TicketRecord | None:
        """Follows one ticket until it is final; the ticket a transfer carried the citizen on to, if any."""
        while True:
            try:
                async with self._hub.subscribe(ticket.office_id) as live:
                    # read again once listening, or an event between the last read and now would be missed
                    ticket = await self._ticket(ticket.id)
                    seen = await self._sight(watch, ticket, None)
                    while ticket.status not in FINAL:
                        await live.get()
                        live.drain()  # a burst of events is one read
                        ticket = await self._ticket(ticket.id)
                        seen = await self._sight(watch, ticket, seen)
            except SubscriberDropped:
                continue  # fell behind the hub: listen again and read the ticket afresh
            if ticket.status is not TicketStatus.TRANSFERRED:
                self._publish(watch, None)
                return None
            async with self._engine.connect() as conn:
                successor = await tickets.successor(conn, ticket.id)
            if successor is None:
                self._publish(watch, None)
            return successor
