"""Every use of a library's private API, in one place, each with why there is no public way.

An upgrade of one of these libraries may rename or remove what is used here without notice:
`tests/queue/test_library_internals.py` pins the versions this was checked against and exercises each use,
so an upgrade fails there, loudly, rather than in production. Nothing outside this module may reach
into a library's underscored names (grep for `\\._[a-z]` on foreign objects finds none elsewhere).
"""

from __future__ import annotations

from typing import Any

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend
from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

# the versions every use below was read against (tests/queue/test_library_internals.py holds the installed ones to it)
CHECKED_VERSIONS = {
    "strawberry-graphql": "0.341.2",
    "broadcaster": "0.3.1",
    "graphql-core": "3.3.2",
    "starlette": "1.10.0",
    "uvicorn": "0.55.0",
    "websockets": "17.4",
}


def graphql_core_schema(schema: Schema) -> GraphQLSchema:
    """The graphql-core schema strawberry built: validation, cost and the shared feed's planning work on it,
    and strawberry has no public accessor for it."""
    built: GraphQLSchema = schema._schema
    return built


def raw_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind strawberry's `Info`: the field's AST, parent type and raw
    variables, which strawberry's `Info` does not expose."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    return raw


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was built from (its resolver, metadata, extensions).

    Strawberry records it in the field's `extensions` under a key its converter names; nothing public
    leads from a graphql-core field back to its definition."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def redis_broadcast(redis_url: str) -> Broadcast:
    """A broadcaster over Redis pub/sub at any URL redis-py takes.

    `Broadcast(url)` picks its backend by the URL's scheme and knows only redis:// and rediss://, not the
    unix:// socket of the embedded Redis; its Redis backend is importable only from a private module."""
    return Broadcast(backend=RedisBackend(redis_url))


def broadcast_alive(broadcast: Broadcast) -> bool:
    """Whether a connected broadcaster still listens to Redis.

    broadcaster has no health API and no reconnect: when the pub/sub connection dies, its listener task
    (and the Redis backend's own) ends, and nothing else says so."""
    listener = broadcast._listener_task
    backend_listener = getattr(broadcast._backend, "_listener", None)
    return not listener.done() and not (backend_listener is not None and backend_listener.done())


class RawWebSocket:
    """An accepted websocket's own transport, for frames already encoded (realtime/frames.py) that go past
    Starlette's and uvicorn's per-message work: a shared feed writes one event's frame to thousands of
    connections in one loop (docs/performance.md, "10,000 screens on one process").

    ASGI has no way to send bytes that are already a frame. The connection's state is uvicorn's
    (websockets-sansio implementation): a frame is written only where uvicorn itself would write one at
    once, so it never overtakes a message the ordinary way is holding back, and never lands after a close."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def write(self, frame: bytes) -> bool:
        """Writes the frame now, or says False (and writes nothing) where the ordinary way would have to
        wait or fail: a closing or closed connection, or one whose write buffer is over its high-water mark
        (a slow reader: uvicorn's `send` waits for it to drain, and so must everything after)."""
        protocol = self._protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.handshake_complete
            or protocol.initial_response is not None
            or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN
        ):
            return False
        transport = protocol.transport
        if transport.is_closing():
            return False
        transport.write(frame)
        return True


# where `KeepServerSend` leaves the server's own `send` in a websocket's scope
SERVER_SEND = "turnero.server_send"


class KeepServerSend:
    """Outermost middleware (Starlette's error middleware passes websockets through untouched): keeps the
    server's own `send` of a websocket in its scope, before any middleware wraps it, so that
    `raw_websocket` can find the connection behind it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


def raw_websocket(websocket: WebSocket) -> RawWebSocket | None:
    """The raw transport behind a Starlette websocket when uvicorn's websockets-sansio protocol serves it
    (`serve` runs uvicorn with it; `send` is a method of its protocol object); None for anything else
    (another implementation, a test client, no `KeepServerSend`), which then sends the ordinary way."""
    protocol = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
    if type(protocol) is not WebSocketsSansIOProtocol:
        return None
    return RawWebSocket(protocol)
