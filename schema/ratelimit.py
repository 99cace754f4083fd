"""The rate limits (core/ratelimit.py) applied to each operation, after its cost is known, before it runs.

Over a limit: a GraphQL error coded RATE_LIMITED with `retryAfter` (seconds) in its extensions, and on HTTP
status 429 with a Retry-After header; a websocket subscribe gets the error as its answer. The cost bucket's
limit and what is left of it go into the cost report (answered as `extensions.cost`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from schema.context import Context

MESSAGES = {
    "cost": "Too many requests: this caller's query budget is spent for now.",
    "login": "Too many sign-in attempts from this address.",
    "bookings": "Too many bookings, cancellations or changes from this address.",
    "searches": "Too many searches from this address.",
    "lookups": "Too many booking searches by this user.",
}


def root_field_counts(document: DocumentNode | None, operation_name: str | None) -> Counter[str]:
    """How often each root field is asked by the operation that runs, through aliases and fragments: ten
    aliased `book`s are ten bookings, and a `book` inside a fragment is still one."""
    counts: Counter[str] = Counter()
    if document is None:
        return counts
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o for o in operations if operation_name is None or (o.name is not None and o.name.value == operation_name)
    ]
    if not chosen:
        return counts

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                counts[selection.name.value] += 1
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    walk(fragments[name].selection_set, seen | {name})

    walk(chosen[0].selection_set, frozenset())
    return counts


async def charge(context: object, cost: int, fields: Mapping[str, int]) -> GraphQLError | None:
    """Charges the caller's buckets for an operation; the RATE_LIMITED error when a bucket refuses (on HTTP
    the answer becomes 429 with Retry-After). Records the cost bucket's limit and what is left of it."""
    limiter = context.state.limiter if isinstance(context, Context) else None
    if limiter is None or not isinstance(context, Context):
        return None
    decision = await limiter.check(context.viewer, context.client_address, cost, fields)
    report = context.cost_report
    report["limit"] = decision.cost_limit
    if decision.cost_remaining is not None:
        report["remaining"] = decision.cost_remaining
    if decision.allowed:
        return None
    if context.response is not None:
        context.response.status_code = 429
        context.response.headers["Retry-After"] = str(decision.retry_after)
    message = MESSAGES.get(decision.refused or "cost", MESSAGES["cost"])
    return GraphQLError(
        f"{message} Try again in {decision.retry_after} s.",
        extensions={"code": "RATE_LIMITED", "retryAfter": decision.retry_after, "bucket": decision.refused},
    )


class RateLimits(SchemaExtension):
    """Charges the caller's buckets in on_execute: after validation and after the cost extension has put
    the operation's cost in `cost_report["requested"]` (so it must come after that one in the list).
    An operation refused for its cost never gets here: QueryCost charges it itself."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and context.state.limiter is not None:
            fields = root_field_counts(execution.graphql_document, execution.operation_name)
            refusal = await charge(context, context.cost_report.get("requested", 1), fields)
            if refusal is not None:
                raise refusal
        yield
