"""The static cost of an operation, worked out from its document, its variables and the schema alone.

Every object the answer could hold costs 1 (the operation's root object too, so no request is free); scalars
cost nothing. A list multiplies what is under it by its bound (schema/bounds.py: a constant, its `limit`, or a
figure from its arguments and variables). A union or interface costs as much as its costliest member with the
fragments that apply to it; fields of one response key are merged as execution merges them; @skip/@include
are ignored (an upper bound). Introspection is costed exactly: its answer is the schema itself, so every list
in it is as long as the schema makes it (GraphiQL's full introspection query costs about 1,700).

The walk memoises each selection set per type, so fragments spread again and again cost their work once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.type.introspection import TypeMetaFieldDef

from schema.bounds import UNDECLARED, Arguments, ListBound

_EMPTY_VARIABLES = VariableValues({}, {})
_CACHE_SIZE = 2048
# the cache key of a document costed without reading its variables (no JSON text is this)
_ANY_VARIABLES = "*"
# variables longer than this as JSON are costed afresh rather than kept as a cache key
_CACHEABLE_VARIABLES = 2_000


@lru_cache(maxsize=8)
def declared_bounds(schema: GraphQLSchema) -> dict[tuple[str, str], ListBound]:
    """(type, field) → its ListBound, read from the strawberry fields' extensions once per schema."""
    bounds: dict[tuple[str, str], ListBound] = {}
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                definition = (field.extensions or {}).get("strawberry-definition")
                for extension in getattr(definition, "extensions", None) or ():
                    if isinstance(extension, ListBound):
                        bounds[(type_.name, name)] = extension
    return bounds


def list_fields(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """Every list field of the schema's own types (not introspection's)."""
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                if _list_depth(field.type):
                    yield type_.name, name


def _list_depth(type_: GraphQLType) -> int:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        depth += isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return depth


class _Walk:
    """One operation's cost: its fragments, its variables, and memoised selection sets."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues) -> None:
        self.schema = schema
        self.variables = variables
        self.bounds = declared_bounds(schema)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[tuple[object, ...], int] = {}
        self.parent_dependent = {type_name for (type_name, field), b in self.bounds.items() if b.parent_size}
        self.argument_source: dict[int, int] = {}
        self.kept: list[Arguments] = []
        self.read_arguments = False  # never: the figure is the document's whatever its variables

    # --- the schema's own types ------------------------------------------------------------------------

    def selections(
        self, parent: GraphQLCompositeType, sets: tuple[SelectionSetNode, ...], arguments: Arguments | None
    ) -> int:
        # arguments (a child's bound reads them) come from one field node of the document, so the node that
        # gave them keys them: the dict itself is made afresh on each visit
        key = (parent.name, tuple(id(s) for s in sets), self.argument_source.get(id(arguments)))
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = 0  # a cycle (refused by validation anyway) adds nothing
        if isinstance(parent, GraphQLAbstractType):
            members: Iterable[GraphQLObjectType] = self.schema.get_possible_types(parent)
        else:
            assert isinstance(parent, GraphQLObjectType)
            members = (parent,)
        figure = 0
        for member in members:
            fields = self.collect(member, sets)
            figure = max(figure, sum(self.field(member, nodes, arguments) for nodes in fields.values()))
        self.memo[key] = figure
        return figure

    def field(self, parent: GraphQLObjectType, nodes: list[FieldNode], parent_arguments: Arguments | None) -> int:
        name = nodes[0].name.value
        if name == "__typename":
            return 0
        if name in ("__schema", "__type"):
            return self.introspection(nodes)
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # validation refuses it
        named = get_named_type(definition.type)
        bound = self.bounds.get((parent.name, name))
        passes = is_composite_type(named) and self._passes_arguments(named)
        needs_arguments = bound is not None and (bound.size is not None or bound.parent_size is not None)
        arguments = self.arguments(definition, nodes[0]) if needs_arguments or passes else {}
        items = 1
        for _ in range(_list_depth(definition.type)):
            items *= bound.items(arguments, parent_arguments) if bound is not None else UNDECLARED
        if not is_composite_type(named):
            return 0
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        sets = tuple(node.selection_set for node in nodes if node.selection_set is not None)
        passed = None
        if passes:
            passed = arguments
            self.argument_source[id(arguments)] = id(nodes[0])
            self.kept.append(arguments)  # alive while the walk lasts, so its id names it alone
        return items * (1 + self.selections(named, sets, passed))

    def _passes_arguments(self, named: GraphQLCompositeType) -> bool:
        """Whether a child's bound depends on this field's arguments (Stats.rows on stats' filter)."""
        if isinstance(named, GraphQLAbstractType):
            return any(t.name in self.parent_dependent for t in self.schema.get_possible_types(named))
        return named.name in self.parent_dependent

    def arguments(self, definition: GraphQLField, node: FieldNode) -> Arguments:
        self.read_arguments = True
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return {}  # execution refuses them; until then every bound is at its most

    def collect(self, member: GraphQLObjectType, sets: Iterable[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        """The fields that apply to `member`, by response key, fragments followed (as execution collects)."""
        fields: dict[str, list[FieldNode]] = {}
        seen: set[str] = set()

        def gather(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition.name.value if selection.type_condition else None, member):
                        gather(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if (
                        fragment is not None
                        and name not in seen
                        and self.applies(fragment.type_condition.name.value, member)
                    ):
                        seen.add(name)
                        gather(fragment.selection_set)

        for selection_set in sets:
            gather(selection_set)
        return fields

    def applies(self, condition: str | None, member: GraphQLObjectType) -> bool:
        if condition is None or condition == member.name:
            return True
        type_ = self.schema.get_type(condition)
        return isinstance(type_, GraphQLInterfaceType | GraphQLUnionType) and self.schema.is_sub_type(type_, member)

    # --- introspection: the schema itself, walked as it would be answered ---------------------------------

    def introspection(self, nodes: list[FieldNode]) -> int:
        sets = tuple(node.selection_set for node in nodes if node.selection_set is not None)
        schema_type = self.schema.get_type("__Schema")
        type_type = self.schema.get_type("__Type")
        assert isinstance(schema_type, GraphQLObjectType)
        assert isinstance(type_type, GraphQLObjectType)
        if nodes[0].name.value == "__schema":
            return self.answer(schema_type, self.schema, sets)
        name = self.arguments(TypeMetaFieldDef, nodes[0]).get("name")
        found = self.schema.get_type(name) if isinstance(name, str) else None
        return self.answer(type_type, found, sets) if found is not None else 0

    def answer(self, type_: GraphQLObjectType, value: object, sets: tuple[SelectionSetNode, ...]) -> int:
        key = ("introspection", type_.name, id(value), tuple(id(s) for s in sets))
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = 0
        figure = 1
        for nodes in self.collect(type_, sets).values():
            name = nodes[0].name.value
            definition = type_.fields.get(name)
            child_type = get_named_type(definition.type) if definition is not None else None
            if not isinstance(child_type, GraphQLObjectType):
                continue
            child_sets = tuple(node.selection_set for node in nodes if node.selection_set is not None)
            children = _introspected(self.schema, type_.name, name, value)
            figure += sum(self.answer(child_type, child, child_sets) for child in children)
        self.memo[key] = figure
        return figure


def _introspected(schema: GraphQLSchema, type_name: str, field: str, value: Any) -> list[object]:
    """What an introspection field holds for `value`: the objects under it (none, one or a list)."""
    match type_name, field:
        case "__Schema", "types":
            return list(schema.type_map.values())
        case "__Schema", "queryType":
            return [schema.query_type] if schema.query_type else []
        case "__Schema", "mutationType":
            return [schema.mutation_type] if schema.mutation_type else []
        case "__Schema", "subscriptionType":
            return [schema.subscription_type] if schema.subscription_type else []
        case "__Schema", "directives":
            return list(schema.directives)
        case "__Type", "fields":
            return list(value.fields.values()) if isinstance(value, GraphQLObjectType | GraphQLInterfaceType) else []
        case "__Type", "inputFields":
            return list(value.fields.values()) if isinstance(value, GraphQLInputObjectType) else []
        case "__Type", "interfaces":
            return list(value.interfaces) if isinstance(value, GraphQLObjectType | GraphQLInterfaceType) else []
        case "__Type", "possibleTypes":
            return list(schema.get_possible_types(value)) if is_abstract_type(value) else []
        case "__Type", "enumValues":
            return list(value.values.values()) if isinstance(value, GraphQLEnumType) else []
        case "__Type", "ofType":
            return [value.of_type] if isinstance(value, GraphQLList | GraphQLNonNull) else []
        case "__Field" | "__Directive", "args":
            return list(value.args.values())
        case "__Field" | "__InputValue", "type":
            return [value.type]
    return []


def operation_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The operation's cost; variables that do not fit their types count as absent (execution refuses them)."""
    return _costed(schema, document, operation_name, variables)[0]


def _costed(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> tuple[int, bool]:
    """operation_cost, and whether the figure depended on the variables (a bound read an argument)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0, False
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, False
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    walk = _Walk(schema, document, coerced if isinstance(coerced, VariableValues) else _EMPTY_VARIABLES)
    figure = 1 + walk.selections(root, (operation.selection_set,), None)
    return figure, walk.read_arguments


class CostCache:
    """Costs by (document text, operation, variables): the same few documents come again and again. A document
    whose bounds read no argument (a `book`, a `holdSlot`: each request's variables differ) is kept once for any
    variables."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self.costs: OrderedDict[tuple[str, str | None, str | None], int] = OrderedDict()

    def cost(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> int:
        whatever = (query, operation_name, _ANY_VARIABLES)
        found = self.costs.get(whatever)
        if found is not None:
            self.costs.move_to_end(whatever)
            return found
        try:
            key_variables = json.dumps(variables, sort_keys=True, separators=(",", ":")) if variables else None
        except (TypeError, ValueError):
            return operation_cost(schema, document, operation_name, variables)
        if key_variables is not None and len(key_variables) > _CACHEABLE_VARIABLES:
            return operation_cost(schema, document, operation_name, variables)
        key = (query, operation_name, key_variables)
        found = self.costs.get(key)
        if found is not None:
            self.costs.move_to_end(key)
            return found
        figure, by_variables = _costed(schema, document, operation_name, variables)
        self.costs[key if by_variables else whatever] = figure
        if len(self.costs) > self.size:
            self.costs.popitem(last=False)
        return figure


COSTS = CostCache()
