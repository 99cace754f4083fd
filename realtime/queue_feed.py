"""Which queueEvents subscriptions a shared feed serves, and who shares one.

A subscription qualifies when its document is valid, its operation is a subscription whose only root field
is `queueEvents`, every field it selects is known not to tell its subscribers apart (realtime/sharing.py),
and its caller may watch the office. Anything else, including every refusal, goes the ordinary strawberry
way, so its errors are exactly the ones they always were.

Subscribers share a feed when they would be sent the same bytes: the same document, the same variables
apart from the one that only carries afterSeq (it only decides where the replay starts, which stays per
subscriber), and the same audience: what of an event the caller may see (`Ticket.booking` is for the
office's desk staff and the booking's partner), not who the caller is.

The GraphQL schema is the server's (server/graphql_view.py hands it in as a `FeedSchema`): this layer
sits below it and never imports it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from graphql.execution import Executor
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult

from realtime.queue_events import watched_office
from realtime.sharing import undeclared_fields
from resolvers.accounts.viewer import Viewer

ROOT_FIELD = "queueEvents"
# the operation's static cost: (schema, query, document, operation name, variables)
Cost = Callable[[GraphQLSchema, str, DocumentNode, str | None, dict[str, Any] | None], int]


@dataclass(frozen=True, slots=True)
class FeedSchema:
    """What planning needs of the server's GraphQL schema, handed in at start-up."""

    schema: GraphQLSchema
    # the validation strawberry runs (graphql's own rules and the schema's limits), so that what a feed
    # takes is exactly what strawberry would accept
    rules: Collection[type[ASTValidationRule]]
    max_tokens: int
    cost: Cost


@dataclass(frozen=True, slots=True)
class _Document:
    ast: DocumentNode
    field: FieldNode
    # the variable whose only use is queueEvents' afterSeq: it does not separate one feed from another
    after_seq_variable: str | None


@dataclass(frozen=True, slots=True)
class QueuePlan:
    office_id: int
    after_seq: int | None
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    audience: Viewer
    key: Hashable


class _VariableUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.uses: Counter[str] = Counter()

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: object) -> object:
        return self.SKIP

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.uses[node.name.value] += 1


def audience(viewer: Viewer) -> Viewer:
    """The viewer a feed renders for: what they may see, without who they are, so that nothing personal
    to one subscriber can ever reach another (a field reading the caller's identity gets nobody's)."""
    grants = tuple(sorted(set(viewer.grants), key=lambda g: (g.role.value, -1 if g.office_id is None else g.office_id)))
    return Viewer(
        staff_user_id=0 if viewer.is_staff else None,
        grants=grants,
        device_kind=viewer.device_kind,
        device_office_id=viewer.device_office_id,
        partner_id=viewer.partner_id,
        partner_scopes=viewer.partner_scopes,
    )


def payload(result: ExecutionResult) -> dict[str, object]:
    """A `next` message's payload, as strawberry's own graphql-transport-ws handler builds it."""
    body: dict[str, object] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


class QueuePlanner:
    """Plans subscriptions against one schema; each distinct document is parsed, validated and checked for
    sharing once (clients send the same few over and over)."""

    def __init__(self, feed_schema: FeedSchema) -> None:
        self._schema = feed_schema
        self._document = lru_cache(maxsize=256)(self._queue_document)

    def _queue_document(self, query: str, operation_name: str | None) -> _Document | None:
        graphql_schema = self._schema.schema
        try:
            document: DocumentNode = parse(query, max_tokens=self._schema.max_tokens)
        except GraphQLError:
            return None
        if validate_document(graphql_schema, document, tuple(self._schema.rules)):
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
            return None
        selections = operation.selection_set.selections
        if len(selections) != 1:
            return None
        field = selections[0]
        if not isinstance(field, FieldNode) or field.name.value != ROOT_FIELD or field.directives:
            return None
        if undeclared_fields(graphql_schema, document, field):
            return None  # a field that may read the viewer: rendered per subscriber, never shared
        uses = _VariableUses()
        visit(document, uses)
        after_seq_variable = next(
            (
                argument.value.name.value
                for argument in field.arguments or ()
                if argument.name.value == "afterSeq"
                and isinstance(argument.value, VariableNode)
                and uses.uses[argument.value.name.value] == 1
            ),
            None,
        )
        return _Document(ast=document, field=field, after_seq_variable=after_seq_variable)

    def plan(
        self,
        viewer: Viewer,
        query: object,
        variables: object,
        operation_name: object,
        max_cost: int = 0,
        languages: tuple[str, ...] = (),
    ) -> QueuePlan | None:
        """The plan for a subscription a shared feed may serve; None sends it the ordinary way (which is also
        how one over the cost budget is refused: strawberry's QUERY_TOO_COSTLY, from schema/extensions.py).
        Subscribers reading other languages (the catalogue's names are translated) share no feed."""
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
        ):
            return None  # a malformed message: strawberry answers it
        document = self._document(query, operation_name)
        if document is None:
            return None
        graphql_schema = self._schema.schema
        executor = Executor.build(graphql_schema, document.ast, None, None, variables, operation_name)
        if isinstance(executor, list):
            return None  # variables that do not fit: strawberry says so
        if max_cost and self._schema.cost(graphql_schema, query, document.ast, operation_name, variables) > max_cost:
            return None
        subscription = graphql_schema.subscription_type
        assert subscription is not None
        try:
            arguments = get_argument_values(subscription.fields[ROOT_FIELD], document.field, executor.variable_values)
        except GraphQLError:
            return None
        office_id = watched_office(viewer, arguments.get("officeId"))
        if office_id is None:
            return None  # the resolver refuses it, as it always has
        after_seq = arguments.get("afterSeq")
        shared_variables = {k: v for k, v in (variables or {}).items() if k != document.after_seq_variable}
        seen_as = audience(viewer)
        key = (office_id, query, operation_name, json.dumps(shared_variables, sort_keys=True), seen_as, languages)
        return QueuePlan(
            office_id=office_id,
            after_seq=after_seq if isinstance(after_seq, int) else None,
            query=query,
            operation_name=operation_name,
            variables=variables,
            audience=seen_as,
            key=key,
        )
