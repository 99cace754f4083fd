"""Records from result rows, by field name: one mapping for every record instead of a `from_row` each.

A record is a frozen dataclass whose field names are the row's column labels (select the model's
columns, `.label()` the joined ones). The converters are worked out once per record class from its
annotations: an `Enum` field takes the row's value through the enum, a `tuple[...]` field takes the
row's array as a tuple; everything else is taken as asyncpg returns it. A column the row lacks
leaves the field at its default (an error if it has none), so a narrower select stays honest.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

RecordT = TypeVar("RecordT")

_MISSING = object()


def _identity(value: Any) -> Any:
    return value


def _converter(annotation: Any) -> Callable[[Any], Any]:
    """How a column's value becomes the field's value, for the field's annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            inner = _converter(members[0])
            if inner is _identity:
                return _identity
            return lambda value: None if value is None else inner(value)
        return _identity
    if origin is tuple:
        return lambda value: tuple(value or ())
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    return _identity


@cache
def _plan(cls: type[Any]) -> tuple[tuple[str, Callable[[Any], Any], bool], ...]:
    hints = typing.get_type_hints(cls)
    plan = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        plan.append((field.name, _converter(hints[field.name]), has_default))
    return tuple(plan)


def record_from_row(cls: type[RecordT], row: Mapping[Any, Any]) -> RecordT:
    """The record `cls` holding the row's columns of the same names (see the module's docstring)."""
    values: dict[str, Any] = {}
    plan = _plan(cls)  # type: ignore[arg-type]  # classes are hashable; mypy reads type[T] as maybe not
    for name, convert, has_default in plan:
        value = row.get(name, _MISSING)
        if value is _MISSING:
            if has_default:
                continue
            raise KeyError(f"{cls.__name__}.{name}: the row has no column {name!r}")
        values[name] = convert(value)
    return cls(**values)


def records_from_rows(cls: type[RecordT], rows: typing.Iterable[Mapping[Any, Any]]) -> list[RecordT]:
    return [record_from_row(cls, row) for row in rows]
