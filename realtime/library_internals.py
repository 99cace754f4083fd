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
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

# the versions every use below was read against (tests/queue/test_library_internals.py holds the installed ones to it)
CHECKED_VERSIONS = {
    "strawberry-graphql": "0.341.2",
    "broadcaster": "0.3.1",
    "graphql-core": "3.3.2",
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
