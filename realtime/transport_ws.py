"""graphql-transport-ws with queueEvents served from shared feeds.

Strawberry runs each subscription on its own: every event goes through the subscriber's selection set and
is serialised once per subscriber, so a screen wall of a thousand displays costs a thousand executions of
the same event. Here a `subscribe` that a shared feed can serve (realtime/queue_feed.py) gets the feed's
text instead, with only its operation id spliced in; what stays per subscriber is what must, and it is
the same `queue_event_stream` strawberry's resolver reads: the check that it may watch the office, its
replay after afterSeq, the hand-over to live, and its own bounded buffer. Every other message and
operation, and every refusal, is strawberry's, byte for byte.

A subscriber that has caught up is not even woken for a live event: the feed writes the event's frame,
encoded once per operation id, to its socket directly (`TURNERO_QUEUE_DIRECT_WRITE`). Where the socket
cannot take it at once (closing, or a reader that stopped reading), the event goes the ordinary way
through the subscriber's own task and buffer, as before: it waits, or is dropped when it falls too far.

This is a mixin over strawberry's handler: the server's handler class (server/graphql_view.py) puts it
in front of its own limits and hands in the schema's part as `queue_feed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import ExecutionResult

from core.metrics import QUEUE_MESSAGES
from core.runtime import AppState
from realtime.feed import Rendered
from realtime.frames import text_frame
from realtime.library_internals import raw_websocket
from realtime.live import LiveQueue
from realtime.queue_events import queue_event_stream
from realtime.queue_feed import QueuePlan, QueuePlanner, payload
from resolvers.accounts.viewer import Viewer
from resolvers.queue.records import QueueEventRecord

WRITTEN_DIRECTLY = QUEUE_MESSAGES.labels("direct")
SENT_BY_TASK = QUEUE_MESSAGES.labels("task")


class LiveCaller(Protocol):
    """What the transport needs of the GraphQL context (schema/context.py's `Context`)."""

    @property
    def state(self) -> AppState: ...

    @property
    def viewer(self) -> Viewer: ...

    @property
    def live(self) -> LiveQueue: ...

    # what it reads in: a shared feed serves one language (translated messages and catalogue names)
    @property
    def language(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]: ...


Caller = TypeVar("Caller", bound=LiveCaller)


@dataclass(frozen=True, slots=True)
class QueueFeedSchema(Generic[Caller]):
    planner: QueuePlanner
    # one event through a plan's document, with strawberry's whole execution (limits, error masking), read
    # with fresh loaders and as the plan's audience, not as the caller
    execute: Callable[[Caller, QueuePlan, QueueEventRecord], Awaitable[ExecutionResult]]


class QueueFeedTransport(BaseGraphQLTransportWSHandler[Caller, None]):
    queue_feed: ClassVar[QueueFeedSchema[Any]]

    async def run_operation(self, operation: Operation[Caller, None]) -> None:
        settings = self.context.state.settings
        plan = (
            self.queue_feed.planner.plan(
                self.context.viewer,
                operation.query,
                operation.variables,
                operation.operation_name,
                settings.max_query_cost,
                (self.context.language, *self.context.languages),
            )
            if settings.queue_shared_feed
            else None
        )
        if plan is None:
            await super().run_operation(operation)
            return
        try:
            await self._from_feed(operation, plan)
        except WebSocketDisconnected:
            return  # the connection's own shutdown cleans up
        except Exception as error:
            # as strawberry does with an operation that fails unexpectedly: logged, and completed
            await self.handle_task_exception(error)
            with suppress(Exception):
                await self._complete(operation)
            raise

    async def _from_feed(self, operation: Operation[Caller, None], plan: QueuePlan) -> None:
        context, live = self.context, self.context.live
        encode = self.view.encode_json_string
        execute = self.queue_feed.execute

        async def render(event: QueueEventRecord) -> str:
            return encode(payload(await execute(context, plan, event)))

        # the message strawberry would send, {"id":…,"type":"next","payload":…}, with the payload spliced in
        head = '{"id":' + encode(operation.id) + ',"type":"next","payload":'
        stream = queue_event_stream(
            live.engine,
            context.viewer,
            plan.office_id,
            plan.after_seq,
            lambda office: live.feeds.member(plan.key, office, render),
            self._direct_writer(operation.id, head) if context.state.settings.queue_direct_write else None,
        )
        try:
            async with stream as events:
                async for item in events:
                    # replayed and gap-filling events are this subscriber's own; live ones the feed's
                    text = item.text if isinstance(item, Rendered) else await render(item)
                    await self._send_text(head + text + "}")
                    SENT_BY_TASK.inc()
        except GraphQLError as error:  # dropped for falling behind: told, as strawberry tells a resolver's error
            await operation.send_next(ExecutionResult(data=None, errors=[error]))
        await self._complete(operation)

    def _direct_writer(self, operation_id: str, head: str) -> Callable[[Rendered], bool] | None:
        """Writes a feed's event to this socket from the feed's own loop; the frame is built once per event
        for every subscriber using the same operation id (displays mostly do)."""
        websocket = self.websocket
        raw = raw_websocket(websocket.ws) if isinstance(websocket, ASGIWebSocketAdapter) else None
        if raw is None:
            return None

        def write(item: Rendered) -> bool:
            frame = item.frames.get(operation_id)
            if frame is None:
                frame = item.frames[operation_id] = text_frame(head + item.text + "}")
            if not raw.write(frame):
                return False
            WRITTEN_DIRECTLY.inc()
            return True

        return write

    async def _complete(self, operation: Operation[Caller, None]) -> None:
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _send_text(self, text: str) -> None:
        websocket = self.websocket
        assert isinstance(websocket, ASGIWebSocketAdapter)
        try:
            await websocket.ws.send_text(text)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error
