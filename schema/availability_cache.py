"""Whole answers to availability and earliestSlots, reused from Redis for a few seconds.

The SQL of the city's week is cheap; building ~150 Slot objects with their offices and their JSON is not
(docs/performance.md). So what is cached is the operation's answer, its `data`, and a hit skips execution
altogether: this extension's on_execute sets the execution's result, which strawberry then does not compute.
It runs after everything that refuses an operation (validation, the query's cost, the rate limits: it is last
in schema/extensions.py, and on_execute runs in list order) and inside the operation's timeout, so a cached
answer is charged and limited exactly as a computed one.

Cached only when the answer cannot differ between the callers that share it, and is the same as the one the
resolvers would give now:

- a query made only of availability/earliestSlots root fields whose service is a literal or a variable, every
  field below them declared not to read the viewer (realtime/sharing.py's rule: `offered`/`keptBack` read it,
  so a document asking them is never cached), and a caller that is not staff (staff count the reserved seats
  as free; their answers are not cached). Keyed by the document, operation name, variables and the caller's
  languages (the catalogue's translations);
- never an error, a partial answer, or an empty list (an empty answer records unmet demand per caller:
  resolvers/analytics/unmet.py, so it always runs);
- keyed by the availability versions (core/availability_versions.py) read BEFORE the answer is computed;
- computed once per process for callers asking the same question under the same versions at the same time: the
  others wait for that answer (as they would have found it stored a moment later) instead of computing it again;
- kept at most TURNERO_AVAILABILITY_CACHE_SECONDS, and never past the moment a live hold of the service ends or
  its next slot starts (both change the answer without any write);
- off with a read replica (DATABASE_READ_URL): an answer read from a lagging replica would be kept as fresh
  under the newest version.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    BREAK,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    IntValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    visit,
)
from redis.asyncio import Redis
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.availability_versions import EPOCH_KEY, SERVICE_KEY
from core.metrics import AVAILABILITY_ANSWERS
from core.validation import parse_id
from realtime.library_internals import graphql_core_schema
from realtime.sharing import field_is_shareable
from resolvers.availability.queries import seconds_until_change
from schema.context import Context

logger = logging.getLogger("turnero.availability")

CACHED_FIELDS = frozenset({"availability", "earliestSlots"})
ANSWER_PREFIX = "availability:answer:"
# the answers this process is computing, by their key: a release burst asks the same question hundreds of times
# a second, and between two seat changes of its procedure every miss would otherwise compute the same answer
_COMPUTING: dict[str, asyncio.Future[bytes | None]] = {}


class CachedAnswer(dict[str, Any]):
    """A hit's data as the JSON it was stored as. Empty as a dict: only the HTTP view's encoder knows it, and
    writes `raw` where the data goes (server/graphql_view.py); nothing else reads a query's data."""

    def __init__(self, raw: bytes) -> None:
        super().__init__()
        self.raw = raw


def encode_response(response: object) -> bytes | None:
    """The HTTP answer's JSON when its data is a CachedAnswer, else None (encode it as usual)."""
    if not isinstance(response, dict) or not isinstance(response.get("data"), CachedAnswer):
        return None
    rest = {key: value for key, value in response.items() if key != "data"}
    tail = json.dumps(rest, separators=(",", ":")).encode()
    return b'{"data":' + response["data"].raw + (b"," + tail[1:] if rest else b"}")


@dataclass(frozen=True, slots=True)
class Plan:
    services: tuple[int, ...]
    roots: tuple[str, ...]  # response keys of the root fields


class _Undeclared(Visitor):
    """Stops at the first field below the roots that may read the viewer (realtime/sharing.py)."""

    def __init__(self, type_info: TypeInfo, roots: frozenset[int]) -> None:
        super().__init__()
        self.type_info = type_info
        self.roots = roots
        self.found = False

    def enter_field(self, node: FieldNode, *_: object) -> object:
        if id(node) in self.roots or node.name.value == "__typename":
            return None
        field = self.type_info.get_field_def()
        if field is None or not field_is_shareable(field):
            self.found = True
            return BREAK
        return None


def _reads_viewer_below(schema: GraphQLSchema, operation: OperationDefinitionNode, roots: Iterable[FieldNode]) -> bool:
    type_info = TypeInfo(schema)
    check = _Undeclared(type_info, frozenset(id(r) for r in roots))
    visit(operation, TypeInfoVisitor(type_info, check))
    return check.found


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> object:
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variables.get(value.name.value)
        if isinstance(value, StringValueNode | IntValueNode):
            return value.value
        return None
    return None


# whether a document reads the viewer below its roots, by query text and operation name: the walk once per
# document, not per request (bounded like strawberry's parser cache: a flood of distinct documents clears it)
_SHAPES: dict[tuple[str, str | None], bool] = {}
_MAX_SHAPES = 1024


def plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    query: str | None = None,
) -> Plan | None:
    """What a cacheable operation asks (its services, its root keys), None if it is not one."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name and d.name.value == operation_name))
    ]
    if len(operations) != 1 or operations[0].operation.value != "query":
        return None
    operation = operations[0]
    roots: list[FieldNode] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in CACHED_FIELDS or selection.directives:
            return None  # fragments and @skip/@include at the root: not worth following
        roots.append(selection)
    services: list[int] = []
    for root in roots:
        service = _argument(root, "serviceId", variables)
        number = parse_id(str(service)) if isinstance(service, str | int) else None
        if number is None:
            return None
        services.append(number)
    if not roots:
        return None
    shape = (query, operation_name) if query is not None else None
    reads_viewer = _SHAPES.get(shape) if shape is not None else None
    if reads_viewer is None:
        reads_viewer = _reads_viewer_below(schema, operation, roots)
        if shape is not None:
            if len(_SHAPES) >= _MAX_SHAPES:
                _SHAPES.clear()
            _SHAPES[shape] = reads_viewer
    if reads_viewer:
        return None
    keys = tuple((r.alias or r.name).value for r in roots)
    return Plan(services=tuple(sorted(set(services))), roots=keys)


def question(execution: Any, context: Context) -> str:
    """What the answer depends on besides the versions: the document, its variables, the caller's languages."""
    identity = json.dumps(
        [execution.query, execution.operation_name, execution.variables or {}, context.language, context.languages],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(identity.encode()).hexdigest()


# One round trip: the versions, the key they make with the question, and the answer stored under it. The key
# is built here, in Redis, so that the versions read are exactly those the key holds.
_LOOK_UP = """
local versions = redis.call('MGET', unpack(KEYS))
local parts = {ARGV[1]}
for i = 1, #versions do parts[#parts + 1] = versions[i] or '-' end
local key = ARGV[2] .. redis.sha1hex(table.concat(parts, ' '))
return {key, redis.call('GET', key)}
"""


async def look_up(redis: Redis, services: tuple[int, ...], asked: str) -> tuple[str, bytes | None]:
    """The answer's key under the current versions (core/availability_versions.py), and the answer if stored."""
    keys = [EPOCH_KEY, *(SERVICE_KEY.format(s) for s in services)]
    found: list[Any] = await cast(Awaitable[list[Any]], redis.eval(_LOOK_UP, len(keys), *keys, asked, ANSWER_PREFIX))
    key, cached = found[0], found[1] if len(found) > 1 else None
    return key.decode() if isinstance(key, bytes) else str(key), cached


def _complete(result: object, roots: tuple[str, ...]) -> dict[str, Any] | None:
    """The answer's data if it may be kept: no error, every root a non-empty list."""
    if not isinstance(result, ExecutionResult) or result.errors or not isinstance(result.data, dict):
        return None
    data: dict[str, Any] = result.data
    if any(not isinstance(data.get(root), list) or not data[root] for root in roots):
        return None
    return data


def _encoded(data: dict[str, Any]) -> bytes | None:
    """The answer as it is stored and shared; None (logged) if it cannot be: never fail an answer for its cache's
    sake."""
    try:
        return json.dumps(data, separators=(",", ":")).encode()
    except (TypeError, ValueError) as error:
        logger.warning("availability answer not encoded: %r", error)
        return None


class AvailabilityAnswers(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        ready = self._plan(context)
        if ready is None:
            yield
            return
        state = context.state
        since = time.time()
        try:
            # BEFORE the answer is computed: a write committed after this read bumps past the version the
            # answer is stored under, so what this execution computes from an older snapshot is never served
            # once that write's mutation has answered (core/availability_versions.py bumps before answering)
            key, cached = await look_up(state.redis, ready.services, question(execution, context))
        except Exception as error:  # Redis unreachable: compute, as without a cache
            logger.warning("availability cache not read: %r", error)
            yield
            return
        computing = _COMPUTING.get(key) if cached is None else None
        if computing is not None:
            # the same question under the same versions is being computed in this process: its answer is one
            # this caller could have found stored (it was computed after the versions this caller read), so it
            # waits for it instead of computing it again; shielded, so that this caller's timeout cannot cancel
            # it for the others. None: the answer is not one to share (empty, an error): computed here after all
            cached = await asyncio.shield(computing)
        AVAILABILITY_ANSWERS.labels("miss" if cached is None else "hit" if computing is None else "joined").inc()
        if cached is not None:
            # over HTTP the stored JSON goes out as it is (server/graphql_view.py splices it): no decoding and
            # encoding again of a city's week per hit; a websocket's query gets it decoded
            data = CachedAnswer(cached) if context.response is not None else json.loads(cached)
            execution.result = ExecutionResult(data=data)
            yield
            return
        if computing is not None:  # waited for an answer that was not one to share: computed alone
            yield
            return
        answer: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        _COMPUTING[key] = answer
        try:
            yield
            data = _complete(execution.result, ready.roots)
            stored = _encoded(data) if data is not None else None
            if stored is not None:
                answer.set_result(stored)
                await self._keep(context, ready, key, stored, since)
        finally:
            if not answer.done():  # not shareable, failed or cancelled: the callers waiting compute their own
                answer.set_result(None)
            if _COMPUTING.get(key) is answer:
                del _COMPUTING[key]

    def _plan(self, context: object) -> Plan | None:
        execution = self.execution_context
        if not isinstance(context, Context) or execution.operation_type is not OperationType.QUERY:
            return None
        state = context.state
        if state.settings.availability_cache_seconds <= 0 or state.replica is not None or context.viewer.is_staff:
            return None
        document = execution.graphql_document
        if document is None:
            return None
        return plan(
            graphql_core_schema(execution.schema),
            document,
            execution.operation_name,
            execution.variables or {},
            execution.query,
        )

    @staticmethod
    async def _keep(context: Context, ready: Plan, key: str, stored: bytes, since: float) -> None:
        state = context.state
        seconds = state.settings.availability_cache_seconds
        try:
            async with state.engine.connect() as conn:
                until_change = await seconds_until_change(conn, ready.services, since)
            if until_change is not None:
                seconds = min(seconds, float(until_change))
            if seconds < 0.001:
                return
            await state.redis.set(key, stored, px=int(seconds * 1000))
            AVAILABILITY_ANSWERS.labels("kept").inc()
        except Exception as error:  # never fail an answer for its cache's sake
            logger.warning("availability answer not cached: %r", error)
