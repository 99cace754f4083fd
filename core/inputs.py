"""What an operation's input dataclass tells the API that takes it, beyond its Python types.

An operation's input (e.g. `OfficeInput` in resolvers/catalogue/offices.py) is the one declaration of what its
mutation takes: schema/input_types.py derives the GraphQL input from its fields (names camelCased, types,
defaults) and from these marks, given with `Annotated` so that type checkers read the plain type beneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated


class Mark(Enum):
    # an object's ID as the API shows it: a string, parsed by the operation, which names the field when it is wrong
    ID = "ID"
    # the API also takes null here, meaning the field's default (the default is what absent means anyway)
    NULL_MEANS_DEFAULT = "NULL_MEANS_DEFAULT"


@dataclass(frozen=True, slots=True)
class Doc:
    """The field's description in the API."""

    text: str


@dataclass(frozen=True, slots=True)
class Named:
    """The field's name in the API, where it is not the field's own name camelCased."""

    name: str


Id = Annotated[str, Mark.ID]
