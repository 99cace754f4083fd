"""Which fields may be rendered once for many subscribers: the rule that decides sharing, failing safe.

A shared feed renders an event once for every subscriber with the same document and audience (what
they may see: grants, device, partner; realtime/queue_feed.py's `audience`), never for who they are. So a
field may be in a shared document only if what it answers cannot differ between two such subscribers:

- a field strawberry answers by reading an attribute of its object (no resolver, permission class or
  field extension of ours) runs no code that could look at the caller: safe without a word;
- a field with code of its own must say what it reads of the viewer, with `metadata=viewer_use(...)`:
  `ViewerUse.NONE` (nothing: its row, loaders, the process's settings) or `ViewerUse.AUDIENCE` (only what
  the audience keeps, e.g. `Ticket.booking`, shown to the office's staff and the booking's partner);
- a field with code that says nothing is taken to read the viewer: the document goes strawberry's own
  way, executed per subscriber. A new field can make a feed slower, never leak across subscribers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)

from realtime.library_internals import strawberry_field

VIEWER_USE = "turnero.viewer_use"


class ViewerUse(Enum):
    # reads nothing of the caller: its own row, loaders, the process's settings
    NONE = "none"
    # reads only what a feed's audience keeps of the caller: grants, device kind and office, partner and scopes
    AUDIENCE = "audience"


def viewer_use(use: ViewerUse) -> dict[str, ViewerUse]:
    """A strawberry field's `metadata`, declaring what its resolver reads of the viewer."""
    return {VIEWER_USE: use}


def field_is_shareable(field: GraphQLField) -> bool:
    definition = strawberry_field(field)
    if definition is None:
        return False  # not built by strawberry from our types: nothing is known of it
    metadata: Mapping[str, object] = definition.metadata or {}
    declared = metadata.get(VIEWER_USE)
    if declared is not None:
        return isinstance(declared, ViewerUse)
    return definition.base_resolver is None and not definition.permission_classes and not definition.extensions


class _SharingCheck(Visitor):
    def __init__(self, type_info: TypeInfo, root: FieldNode) -> None:
        super().__init__()
        self.type_info = type_info
        self.root = root
        self.undeclared: list[str] = []

    def enter_field(self, node: FieldNode, *_: object) -> object:
        if node is self.root or node.name.value == "__typename":
            return None  # the subscription's own field serves the feed; __typename is the schema's
        parent, field = self.type_info.get_parent_type(), self.type_info.get_field_def()
        if field is None or not field_is_shareable(field):
            self.undeclared.append(f"{getattr(parent, 'name', '?')}.{node.name.value}")
            return BREAK
        return None


def undeclared_fields(schema: GraphQLSchema, document: DocumentNode, root: FieldNode) -> list[str]:
    """The first field of a (valid) document that may read the viewer without saying so; empty if none."""
    type_info = TypeInfo(schema)
    check = _SharingCheck(type_info, root)
    visit(document, TypeInfoVisitor(type_info, check))
    return check.undeclared


# what a field declares, as `strawberry.field(metadata=...)`
READS_NO_VIEWER = viewer_use(ViewerUse.NONE)
READS_AUDIENCE = viewer_use(ViewerUse.AUDIENCE)
