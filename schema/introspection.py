"""Introspection only where TURNERO_GRAPHIQL=1 (the demo, development): a public API need not hand every
caller a map of its fields. The published SDL (schema/schema.graphql, `main.py export-schema`) is built from
the schema object itself and is unaffected."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import DisableIntrospection


def introspection_allowed(context: object) -> bool:
    settings = getattr(getattr(context, "state", None), "settings", None)
    return bool(getattr(settings, "graphiql", False))


class IntrospectionGate(DisableIntrospection):
    """graphql-core's NoSchemaIntrospectionCustomRule (`__schema`, `__type`; `__typename` stays) unless the
    settings allow introspection; one rule class either way, so the validation cache serves both."""

    def on_operation(self) -> Iterator[None]:
        if introspection_allowed(self.execution_context.context):
            yield
        else:
            yield from super().on_operation()
