"""Query limits and error masking: abusive queries are refused before they run; faults never leak."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
)
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from core.errors import AuthenticationFailed
from core.health import is_unavailable
from core.metrics import OPERATION_SECONDS, OPERATIONS, SLOW_OPERATIONS
from realtime.library_internals import graphql_core_schema
from schema.availability_cache import AvailabilityAnswers
from schema.cost import COSTS
from schema.introspection import IntrospectionGate
from schema.ratelimit import RateLimits, charge

logger = logging.getLogger("turnero.graphql")
slow_log = logging.getLogger("turnero.slow")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 3000

# Built once: strawberry's QueryDepthLimiter and MaxAliasesLimiter make a new rule class per instance,
# and the validation cache is keyed by the rules, so per-request instances would never hit the cache.
LIMIT_RULES: list[type[ASTValidationRule]] = [depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES)]


class QueryLimits(AddValidationRules):
    """The depth and alias limits, as validation rules: an abusive query is refused before it runs."""

    def __init__(self) -> None:
        super().__init__(LIMIT_RULES)


def too_costly(cost: int, budget: int) -> GraphQLError:
    return GraphQLError(
        f"This operation could cost {cost}, over the limit of {budget}: ask for fewer items (a smaller limit) "
        "or fewer nested lists.",
        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": budget},
    )


# what an operation's document and variables alone decide (the rate limiter adds the caller's `limit`, `remaining`)
STATIC_COST_KEYS = ("requested", "maxCost")


class QueryCost(SchemaExtension):
    """The operation's static cost (schema/cost.py), after validation and before any resolver: over
    TURNERO_MAX_QUERY_COST it is refused with QUERY_TOO_COSTLY. The figure goes into the context's
    cost_report, and that very dict is answered as extensions.cost, so what others add to it during the
    operation (the rate limiter's `remaining`) is answered too."""

    async def on_validate(self) -> AsyncIterator[None]:
        # before the yield: strawberry returns validation's errors as soon as its own validation step ends,
        # so a refusal must be in place by then; ValidationCache (earlier in the list) has validated already
        execution = self.execution_context
        budget = getattr(getattr(getattr(execution.context, "state", None), "settings", None), "max_query_cost", 0)
        document = execution.graphql_document
        if budget and document is not None and execution.query is not None:
            if execution.pre_execution_errors is None:
                execution.pre_execution_errors = validate_document(
                    graphql_core_schema(execution.schema), document, execution.validation_rules
                )
            if not execution.pre_execution_errors:
                await self._check(graphql_core_schema(execution.schema), execution.query, document, budget)
        yield

    async def _check(self, graphql_schema: GraphQLSchema, query: str, document: DocumentNode, budget: int) -> None:
        execution = self.execution_context
        cost = COSTS.cost(graphql_schema, query, document, execution.operation_name, execution.variables)
        report: dict[str, int] = execution.context.cost_report
        report["requested"] = cost
        report["maxCost"] = budget
        if cost > budget:
            # a refusal is charged as if it had cost the budget: a client that keeps sending what is refused
            # spends its rate like one that keeps sending the costliest allowed query, and is stopped alike
            refusal = await charge(execution.context, budget, {})
            execution.pre_execution_errors = [refusal or too_costly(cost, budget)]

    def get_results(self) -> dict[str, Any]:
        report = getattr(self.execution_context.context, "cost_report", None)
        if not report:
            return {}
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            # each event carries what the subscription cost, never a caller's budget: one rendering of an
            # event is shared by every subscriber of a queue feed, and a budget is the caller's own
            return {"cost": {key: report[key] for key in STATIC_COST_KEYS if key in report}}
        return {"cost": report}


class MaskFaults(MaskErrors):
    """Errors of the request (syntax, validation, arguments) pass; faults are masked, logged with a request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(original, GraphQLError | AuthenticationFailed)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        if is_unavailable(error.original_error):
            message = "The service's database or cache is not reachable right now; try again shortly."
            code = "SERVICE_UNAVAILABLE"
            logger.warning("unavailable request_id=%s: %r", request_id, error.original_error)
        else:
            message = f"Unexpected error (request {request_id})."
            code = "INTERNAL_SERVER_ERROR"
            logger.error("fault request_id=%s path=%s", request_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code, "requestId": request_id},
        )


class OperationMetrics(SchemaExtension):
    """Latency and outcome per operation type and first root field (metrics), and the slow-query log:
    operations over TURNERO_SLOW_QUERY_MS, with their name, root fields and time; never their variables."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        execution = self.execution_context
        try:
            kind = execution.operation_type.value
        except Exception:  # a document that does not parse has no operation type
            kind = "invalid"
        result = execution.result
        valid = result is not None and (result.data is not None or not result.errors)
        fields = self._root_fields() if valid else []
        field = fields[0] if fields else "(invalid)"
        outcome = "error" if result is None or result.errors else "ok"
        OPERATIONS.labels(kind, field, outcome).inc()
        OPERATION_SECONDS.labels(kind, field).observe(seconds)
        settings = getattr(getattr(execution.context, "state", None), "settings", None)
        threshold = getattr(settings, "slow_query_ms", None)
        if threshold is not None and seconds * 1000 > threshold:
            SLOW_OPERATIONS.labels(kind, field).inc()
            slow_log.warning(
                "slow %s %s: %.0f ms",
                kind,
                execution.operation_name or "(anonymous)",
                seconds * 1000,
                extra={
                    "operation": (execution.operation_name or "")[:100] or None,
                    "type": kind,
                    "root_fields": fields,
                    "duration_ms": round(seconds * 1000, 1),
                    "threshold_ms": threshold,
                },
            )

    def _root_fields(self) -> list[str]:
        document = self.execution_context.graphql_document
        if document is None:
            return []
        name = self.execution_context.operation_name
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name is not None and definition.name.value == name)
            ):
                return [s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)]
        return []


def extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets its own instances; the parse and validation caches are shared.

    Order matters where hooks read what others wrote: on_execute runs in list order, so RateLimits
    (schema/ratelimit.py) comes after the query cost extension that puts cost_report["requested"].
    """
    return [
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        QueryLimits,
        IntrospectionGate,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        QueryCost,
        MaskFaults,
        OperationMetrics,
        RateLimits,
        AvailabilityAnswers,  # last: a cached answer is served only to an operation every check above let through
    ]
