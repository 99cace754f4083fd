"""The one mapping from result rows to records (resolvers/rows.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pytest

from resolvers.rows import record_from_row


class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@dataclass(frozen=True, slots=True)
class Sample:
    id: int
    colour: Colour
    maybe_colour: Colour | None
    tags: tuple[str, ...]
    note: str | None = None


def test_fields_are_taken_by_name_and_converted_by_annotation() -> None:
    row = {"tags": ["a", "b"], "colour": "BLUE", "id": 7, "maybe_colour": None, "extra": 1}
    assert record_from_row(Sample, row) == Sample(7, Colour.BLUE, None, ("a", "b"))
    assert record_from_row(Sample, {**row, "maybe_colour": "RED", "note": "x"}).maybe_colour is Colour.RED


def test_a_missing_column_without_a_default_is_an_error() -> None:
    with pytest.raises(KeyError, match=r"Sample\.colour"):
        record_from_row(Sample, {"id": 1, "maybe_colour": None, "tags": []})
