"""Query limits and error masking: abusive queries are refused before they run; faults never leak."""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql import ASTValidationRule, GraphQLError
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

from core.errors import AuthenticationFailed
from core.health import is_unavailable

logger = logging.getLogger("turnero.graphql")

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


def extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets its own instances; the parse and validation caches are shared."""
    return [
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        QueryLimits,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaskFaults,
    ]
