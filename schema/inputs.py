"""One check of every text the API is given: no NUL or control characters in any argument of any root field.

Checked once per root field, before its resolver runs, over the argument values as GraphQL coerced them
(input objects and lists included, IDs too), so a field added later is covered without anyone remembering
to. A refused text is answered as a `ValidationError` naming the field (`citizen.name`, `reason`,
`requiredDocuments.2`; an argument named `input` is left out of the name, as the resolvers name fields)
where the field's result can carry one, and otherwise as a top-level error coded INVALID_INPUT with the
field in its extensions. Only the texts listed in MULTILINE may hold line feeds and tabs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterator
from typing import Any

from graphql import GraphQLError, GraphQLField, GraphQLResolveInfo, GraphQLUnionType, get_named_type
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)

from core.errors import ValidationFailed
from core.validation import plain_text
from realtime.library_internals import raw_info
from schema.context import Info
from schema.errors import to_user_error

# (root field, field as named in the error, a list's items as *): texts where a line break is part of what is written
MULTILINE = frozenset(
    {("submitFeedback", "comment"), ("upsertService", "description"), ("upsertService", "translations.*.description")}
)
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def _texts(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}.{index}")


def check_arguments(raw: GraphQLResolveInfo[Any]) -> None:
    """ValidationFailed for the first argument text holding a control character."""
    field_definition: GraphQLField = raw.parent_type.fields[raw.field_name]
    if not field_definition.args:
        return
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):  # what the resolver's info carries: the coerced values only
        variables = VariableValues(sources={}, coerced=variables)
    arguments = get_argument_values(field_definition, raw.field_nodes[0], variables)
    for name, value in arguments.items():
        for path, text in _texts(value, "" if name == "input" else name):
            plain_text(path, text, multiline=(raw.field_name, _INDEX.sub("*", path)) in MULTILINE)


def _carries_validation_error(raw: GraphQLResolveInfo[Any]) -> bool:
    result = get_named_type(raw.parent_type.fields[raw.field_name].type)
    return isinstance(result, GraphQLUnionType) and any(kind.name == "ValidationError" for kind in result.types)


def _refusal(raw: GraphQLResolveInfo[Any], error: ValidationFailed) -> Any:
    if _carries_validation_error(raw):
        return to_user_error(error, raw.context.language)
    raise GraphQLError(error.message, extensions={"code": error.code, "field": error.field})


class TextInputCheck(FieldExtension):
    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            check_arguments(raw_info(info))
        except ValidationFailed as error:
            return _refusal(raw_info(info), error)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            check_arguments(raw_info(info))
        except ValidationFailed as error:
            return _refusal(raw_info(info), error)
        result = next_(source, info, **kwargs)
        return await result if isinstance(result, Awaitable) else result


def check_text_inputs(*roots: type) -> None:
    """Puts the check on every field of the given root types (Query, Mutation); before the schema is built."""
    for root in roots:
        definition = root.__strawberry_definition__  # type: ignore[attr-defined]
        for field in definition.fields:
            if not any(isinstance(extension, TextInputCheck) for extension in field.extensions):
                field.extensions.append(TextInputCheck())
