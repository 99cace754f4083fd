"""Which queueEvents subscriptions a shared feed serves, who shares one, and rendering an event for them.

A subscription qualifies when its document is valid, its operation is a subscription whose only root field
is `queueEvents`, and its caller may watch the office. Anything else, including every refusal, goes the
ordinary strawberry way, so its errors are exactly the ones it always was.

Subscribers share a feed when they would be sent the same bytes: the same document, the same variables
apart from the one that only carries afterSeq (it only decides where the replay starts, which stays per
subscriber), and the same audience: what of an event the caller may see (`Ticket.booking` is for the
office's desk staff and the booking's partner), not who the caller is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationType,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    specified_rules,
    visit,
)
from graphql.execution import Executor
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from core.runtime import AppState
from core.validation import parse_id
from dataloaders import Loaders
from resolvers.accounts.viewer import Viewer
from resolvers.queue.access import may_watch
from resolvers.queue.records import QueueEventRecord
from schema.context import Context
from schema.cost import COSTS
from schema.extensions import LIMIT_RULES, MAX_TOKENS
from schema.queue.types import QueueEvent
from schema.root import schema

ROOT_FIELD = "queueEvents"
_RULES = (*specified_rules, *LIMIT_RULES)
Encode = Callable[[object], str]


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


@lru_cache(maxsize=256)
def _queue_document(query: str, operation_name: str | None) -> _Document | None:
    """Parsed and validated once per distinct document (clients send the same few over and over)."""
    try:
        document: DocumentNode = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None
    if validate_document(schema._schema, document, _RULES):
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


def queue_plan(
    viewer: Viewer, query: object, variables: object, operation_name: object, max_cost: int = 0
) -> QueuePlan | None:
    """The plan for a subscription a shared feed may serve; None sends it the ordinary way (which is also
    how one over the cost budget is refused: strawberry's QUERY_TOO_COSTLY, from schema/extensions.py)."""
    if (
        not isinstance(query, str)
        or not isinstance(variables, dict | None)
        or not isinstance(operation_name, str | None)
    ):
        return None  # a malformed message: strawberry answers it
    document = _queue_document(query, operation_name)
    if document is None:
        return None
    executor = Executor.build(schema._schema, document.ast, None, None, variables, operation_name)
    if isinstance(executor, list):
        return None  # variables that do not fit: strawberry says so
    if max_cost and COSTS.cost(schema._schema, query, document.ast, operation_name, variables) > max_cost:
        return None
    subscription = schema._schema.subscription_type
    assert subscription is not None
    try:
        arguments = get_argument_values(subscription.fields[ROOT_FIELD], document.field, executor.variable_values)
    except GraphQLError:
        return None
    office_id = parse_id(str(arguments.get("officeId")))
    if office_id is None or not may_watch(viewer, office_id):
        return None  # the resolver refuses it, as it always has
    after_seq = arguments.get("afterSeq")
    shared_variables = {k: v for k, v in (variables or {}).items() if k != document.after_seq_variable}
    seen_as = audience(viewer)
    key = (office_id, query, operation_name, json.dumps(shared_variables, sort_keys=True), seen_as)
    return QueuePlan(
        office_id=office_id,
        after_seq=after_seq if isinstance(after_seq, int) else None,
        query=query,
        operation_name=operation_name,
        variables=variables,
        audience=seen_as,
        key=key,
    )


def payload(result: ExecutionResult) -> dict[str, object]:
    """A `next` message's payload, as strawberry's own graphql-transport-ws handler builds it."""
    body: dict[str, object] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


async def render(state: AppState, plan: QueuePlan, encode: Encode, event: QueueEventRecord) -> str:
    """One event through the subscriber's document, with strawberry's whole execution (limits, error
    masking), read with fresh loaders, as the `next` payload's JSON text."""
    context = Context(state=state, viewer=plan.audience, loaders=Loaders.create(state.engine))
    result = await schema.execute(
        plan.query,
        plan.variables,
        context,
        QueueEvent.from_record(event),
        plan.operation_name,
        allowed_operation_types=(StrawberryOperationType.SUBSCRIPTION,),
    )
    return encode(payload(result))
