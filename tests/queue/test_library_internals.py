"""What realtime/library_internals.py takes from libraries' private APIs still exists and behaves as used.

An upgrade of strawberry-graphql, graphql-core or broadcaster fails here first: the version test says which
library moved, the others which use broke. After checking each use against the new version, put the new
version in CHECKED_VERSIONS."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from core.runtime import redis_client
from core.settings import Settings
from realtime.library_internals import (
    CHECKED_VERSIONS,
    broadcast_alive,
    graphql_core_schema,
    raw_info,
    redis_broadcast,
    strawberry_field,
)
from realtime.sharing import READS_NO_VIEWER


@pytest.mark.parametrize(("library", "checked"), sorted(CHECKED_VERSIONS.items()))
def test_the_installed_library_is_the_version_its_private_uses_were_checked_against(library: str, checked: str) -> None:
    installed = importlib.metadata.version(library)
    assert installed == checked, (
        f"{library} {installed} is installed, realtime/library_internals.py was checked against {checked}: "
        "check each of its uses against the new version, then update CHECKED_VERSIONS"
    )


seen: list[GraphQLResolveInfo[Any]] = []


@strawberry.type
class Item:
    name: str = "plain"

    @strawberry.field(metadata=READS_NO_VIEWER, description="with a resolver")  # type: ignore[untyped-decorator]
    def shout(self, info: strawberry.Info) -> str:
        seen.append(raw_info(info))
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item:
        return Item()


SCHEMA = strawberry.Schema(query=Query)


def test_the_graphql_core_schema_and_the_raw_resolve_info() -> None:
    built = graphql_core_schema(SCHEMA)
    assert isinstance(built, GraphQLSchema)
    item = built.type_map["Item"]
    assert isinstance(item, GraphQLObjectType)
    assert set(item.fields) == {"name", "shout"}

    seen.clear()
    result = SCHEMA.execute_sync("{ item { shout } }")
    assert result.errors is None
    assert result.data == {"item": {"shout": "PLAIN"}}
    (raw,) = seen
    # what schema/bounds.py and schema/inputs.py read of it
    assert raw.field_name == "shout"
    assert raw.parent_type.name == "Item"
    assert raw.field_nodes[0].name.value == "shout"
    assert raw.schema is built


def test_a_graphql_core_field_leads_back_to_its_strawberry_definition() -> None:
    item = graphql_core_schema(SCHEMA).type_map["Item"]
    assert isinstance(item, GraphQLObjectType)
    fields = item.fields
    shout = strawberry_field(fields["shout"])
    plain = strawberry_field(fields["name"])
    assert shout is not None
    assert plain is not None
    # what realtime/sharing.py reads of it
    assert shout.metadata == READS_NO_VIEWER
    assert shout.base_resolver is not None
    assert plain.base_resolver is None
    assert not plain.permission_classes
    assert not plain.extensions


async def test_a_broadcast_tells_when_its_redis_subscription_died(settings: Settings) -> None:
    assert settings.redis_url
    broadcast = redis_broadcast(settings.redis_url)
    await broadcast.connect()
    subscription = broadcast.subscribe("turnero:test:internals")
    await subscription.__aenter__()
    await asyncio.sleep(0.2)
    assert broadcast_alive(broadcast)

    # the pub/sub connection cut from the server's side, as a Redis restart does (this database's only)
    redis = redis_client(settings.redis_url)
    # redis-py's own reading of the URL: the embedded server's is a unix socket with the database as `?db=`
    database = int(redis.connection_pool.connection_kwargs.get("db") or 0)
    for client in await redis.client_list(_type="pubsub"):
        if int(client["db"]) == database:
            await redis.client_kill_filter(_id=client["id"])
    await redis.aclose()
    for _ in range(50):
        if not broadcast_alive(broadcast):
            break
        await asyncio.sleep(0.1)
    assert not broadcast_alive(broadcast)

    with contextlib.suppress(Exception):  # unsubscribing and disconnecting over the dead connection
        await subscription.__aexit__(None, None, None)
    with contextlib.suppress(Exception):
        await broadcast.disconnect()


async def test_a_raw_websocket_is_found_behind_uvicorns_protocol_and_follows_its_state() -> None:
    """What RawWebSocket reads of uvicorn's websockets-sansio protocol exists and means what it is used for;
    tests/queue/test_direct_write.py shows the whole path against a real `serve`."""
    from starlette.websockets import WebSocket
    from uvicorn.config import Config
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from uvicorn.server import ServerState

    from realtime.library_internals import SERVER_SEND, raw_websocket

    class Transport(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.written: list[bytes] = []
            self.closing = False

        def write(self, data: bytes | bytearray | memoryview) -> None:
            self.written.append(bytes(data))

        def is_closing(self) -> bool:
            return self.closing

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return ("127.0.0.1", 1) if name in ("peername", "sockname") else default

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    protocol = WebSocketsSansIOProtocol(Config(app=app), ServerState(), {})
    transport = Transport()
    protocol.connection_made(transport)

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        return None

    raw = raw_websocket(WebSocket({"type": "websocket", SERVER_SEND: protocol.send}, receive, send))
    assert raw is not None
    assert raw_websocket(WebSocket({"type": "websocket", SERVER_SEND: send}, receive, send)) is None
    assert not raw.write(b"before the handshake")  # not accepted yet
    protocol.data_received(
        b"GET /graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await protocol.send({"type": "websocket.accept"})
    assert raw.write(b"frame")
    assert transport.written[-1] == b"frame"
    protocol.pause_writing()  # over the high-water mark: uvicorn's own send would wait
    assert not raw.write(b"held back")
    protocol.resume_writing()
    assert raw.write(b"again")
    await protocol.send({"type": "websocket.close", "code": 1000})
    assert not raw.write(b"after the close")
    assert transport.written[-1] != b"after the close"
    for task in list(protocol.tasks):
        task.cancel()
    if protocol.close_timer is not None:
        protocol.close_timer.cancel()
