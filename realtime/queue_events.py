"""`queueEvents`, the one implementation: who may watch, the replay after afterSeq, the hand-over to
live, and the drop of a subscriber that fell behind.

Strawberry's resolver (schema/queue/fields.py) reads it from the hub, one execution per event; the
websocket transport (realtime/transport_ws.py) reads it from a shared feed, whose live events come
already rendered. Either way the subscriber's own part is this generator; only where live events come
from differs (`source`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.validation import parse_id
from realtime.buffer import Buffer, SubscriberDropped
from realtime.stream import Live, office_events
from resolvers.accounts.viewer import Viewer
from resolvers.queue.access import may_watch
from resolvers.queue.records import QueueEventRecord

# an office's live events for one subscriber, from about now on: the hub's records or a feed's rendered text
Source = Callable[[int], AbstractAsyncContextManager[Buffer[Live]]]


def watched_office(viewer: Viewer, office_id: object) -> int | None:
    """The office a caller asks to watch, if they may (displays, kiosks and staff of that office)."""
    number = parse_id(str(office_id))
    return number if number is not None and may_watch(viewer, number) else None


def not_allowed_error() -> GraphQLError:
    return GraphQLError(
        "Only this office's displays, kiosks and staff may watch its queue.", extensions={"code": "NOT_ALLOWED"}
    )


def dropped_error() -> GraphQLError:
    return GraphQLError(
        "This subscription fell behind and was dropped; subscribe again with afterSeq.",
        extensions={"code": "SUBSCRIBER_DROPPED"},
    )


def watched_or_refused(viewer: Viewer, office_id: object) -> int:
    number = watched_office(viewer, office_id)
    if number is None:
        raise not_allowed_error()
    return number


@asynccontextmanager
async def queue_event_stream(
    engine: AsyncEngine,
    viewer: Viewer,
    office_id: object,
    after_seq: int | None,
    source: Source[Live],
    deliver: Callable[[Live], bool] | None = None,
) -> AsyncIterator[AsyncIterator[QueueEventRecord | Live]]:
    """The office's events in seq order, replayed from afterSeq first; NOT_ALLOWED for a caller who may not
    watch it, SUBSCRIBER_DROPPED (and the end) for one whose buffer overflowed.

    A context around the iterator rather than a generator of its own: the subscriber reads `office_events`
    directly, with no extra hop per event (a thousand displays take each event a thousand times). `deliver`,
    if given, is handed live events while the subscriber waits caught up (realtime/stream.py)."""
    office = watched_or_refused(viewer, office_id)
    try:
        async with source(office) as live:
            events = office_events(engine, office, after_seq, live, deliver)
            async with aclosing(events):
                yield events
    except SubscriberDropped:
        raise dropped_error() from None
