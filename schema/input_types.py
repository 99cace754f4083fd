"""GraphQL inputs derived from the operations' input dataclasses, so that each input is declared once (resolvers/).

    class OfficeInput(InputOf[offices.OfficeInput], description="..."):
        pass

makes a strawberry input named like the class, with the dataclass's fields in their order, types and defaults, and
the marks of core/inputs.py: `Doc` a field's description, `Named` its name where not its own camelCased, `Id` the
ID type, NULL_MEANS_DEFAULT a field that also takes null. A dataclass nested in a field (a citizen) becomes an input
of its own, derived once and named like it. A mutation hands its operation `input.data()`: the dataclass, as the
client gave it.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args, get_origin, get_type_hints

import strawberry

from core.inputs import Doc, Mark, Named

Data = TypeVar("Data")

# the inputs derived for dataclasses that other inputs nest (a citizen, opening hours), one for each, named like it
_NESTED: dict[type, type[InputOf[Any]]] = {}


class InputOf(Generic[Data]):
    _data_class: ClassVar[type[Any]]
    _nulls_mean_default: ClassVar[frozenset[str]]

    def __init_subclass__(cls, description: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        data_class = _data_class_of(cls)
        cls._data_class = data_class
        cls._nulls_mean_default = frozenset()
        annotations: dict[str, object] = {}
        for field, hint in zip(dataclasses.fields(data_class), _hints(data_class), strict=True):
            graphql_type = _graphql_type(hint)
            marks = _marks(hint)[1]
            doc = next((mark.text for mark in marks if isinstance(mark, Doc)), None)
            name = next((mark.name for mark in marks if isinstance(mark, Named)), None)
            if Mark.NULL_MEANS_DEFAULT in marks:
                graphql_type = graphql_type | None
                cls._nulls_mean_default |= {field.name}
            annotations[field.name] = graphql_type
            default, factory = field.default, field.default_factory
            setattr(
                cls, field.name, strawberry.field(default=default, default_factory=factory, description=doc, name=name)
            )
        cls.__annotations__ = annotations
        strawberry.input(cls, description=description)

    def data(self) -> Data:
        """The operation's input as the client gave it; a null meaning the default is left out, so it applies."""
        values = {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self._data_class)
            if not (field.name in self._nulls_mean_default and getattr(self, field.name) is None)
        }
        data: Data = self._data_class(**values)
        return data


def _data_class_of(cls: type) -> type[Any]:
    for base in cls.__dict__.get("__orig_bases__", ()):
        if get_origin(base) is InputOf:
            (data_class,) = get_args(base)
            if not (isinstance(data_class, type) and dataclasses.is_dataclass(data_class)):
                raise TypeError(f"{cls.__name__}: InputOf takes an operation's input dataclass, not {data_class!r}")
            return data_class
    raise TypeError(f"{cls.__name__}: derive it as InputOf[TheOperationInput]")


def _hints(data_class: type[Any]) -> list[object]:
    hints = get_type_hints(data_class, include_extras=True)
    return [hints[field.name] for field in dataclasses.fields(data_class)]


def _marks(hint: object) -> tuple[object, tuple[object, ...]]:
    """A field's type hint without its marks, and the marks."""
    if get_origin(hint) is Annotated:
        bare, *marks = get_args(hint)
        return bare, tuple(marks)
    return hint, ()


def _graphql_type(hint: object) -> Any:
    """The strawberry annotation for a field's type hint."""
    bare, marks = _marks(hint)
    if Mark.ID in marks:
        return strawberry.ID
    origin = get_origin(bare)
    if origin in (types.UnionType, typing.Union):
        return functools.reduce(operator.or_, [_graphql_type(member) for member in get_args(bare)])
    if origin is list:
        (item,) = get_args(bare)
        return list[_graphql_type(item)]  # type: ignore[misc]
    if isinstance(bare, type) and dataclasses.is_dataclass(bare):
        return _nested(bare)
    return bare


def _nested(data_class: type[Any]) -> type[InputOf[Any]]:
    if data_class not in _NESTED:
        generic: Any = InputOf  # subscripted by a runtime class, which type checkers cannot follow
        _NESTED[data_class] = types.new_class(data_class.__name__, (generic[data_class],))
    return _NESTED[data_class]


def _plain(value: object) -> object:
    if isinstance(value, InputOf):
        return value.data()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
