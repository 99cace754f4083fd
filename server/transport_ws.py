"""graphql-transport-ws with queueEvents served from shared feeds.

Strawberry runs each subscription on its own: every event goes through the subscriber's selection set and
is serialised once per subscriber, so a screen wall of a thousand displays costs a thousand executions of
the same event. Here a `subscribe` that a shared feed can serve (server/queue_feed.py) gets the feed's
text instead, with only its operation id spliced in; what stays per subscriber is what must: the check that
it may watch the office, its replay after afterSeq, the hand-over to live, and its own bounded buffer.
Every other message and operation, and every refusal, is strawberry's, byte for byte.
"""

from __future__ import annotations

from contextlib import aclosing, suppress
from functools import partial

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from strawberry.types.execution import ExecutionResult

from realtime.buffer import SubscriberDropped
from realtime.feed import Rendered
from realtime.stream import office_events
from schema.context import Context
from schema.queue.fields import dropped_error
from server import ws_sessions
from server.queue_feed import QueuePlan, queue_plan, render
from server.ws_limits import LimitedTransportWS


class QueueFeedHandler(LimitedTransportWS):
    async def handle(self) -> None:
        # closed with 4403 when its credential ends while it is open (server/ws_sessions.py)
        async with ws_sessions.watched(self):
            await super().handle()

    async def stop_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        settings = self.context.state.settings
        plan = (
            queue_plan(
                self.context.viewer,
                operation.query,
                operation.variables,
                operation.operation_name,
                settings.max_query_cost,
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

    async def _from_feed(self, operation: Operation[Context, None], plan: QueuePlan) -> None:
        state = self.context.state
        encode = self.view.encode_json_string
        own_render = partial(render, state, plan, encode)
        # the message strawberry would send, {"id":…,"type":"next","payload":…}, with the payload spliced in
        head = '{"id":' + encode(operation.id) + ',"type":"next","payload":'
        try:
            async with state.feeds.member(plan.key, plan.office_id, own_render) as live:
                events = office_events(state.engine, plan.office_id, plan.after_seq, live)
                async with aclosing(events):
                    async for item in events:
                        # replayed and gap-filling events are this subscriber's own; live ones the feed's
                        text = item.text if isinstance(item, Rendered) else await own_render(item)
                        await self._send_text(head + text + "}")
        except SubscriberDropped:
            await operation.send_next(ExecutionResult(data=None, errors=[dropped_error()]))
        await self._complete(operation)

    async def _complete(self, operation: Operation[Context, None]) -> None:
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _send_text(self, text: str) -> None:
        websocket = self.websocket
        assert isinstance(websocket, ASGIWebSocketAdapter)
        try:
            await websocket.ws.send_text(text)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error
