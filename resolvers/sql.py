"""Pieces of statements that every domain's Core queries use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ColumnElement, any_, literal
from sqlalchemy.orm import QueryableAttribute


def any_id(ids: Sequence[int]) -> ColumnElement[Any]:
    """`= ANY(:ids)`: one array parameter, so a batch of any length is the same statement (IN would be one
    statement per length, each prepared on its own)."""
    return any_(literal(list(ids), ARRAY(BigInteger)))


def written_in(column: QueryableAttribute[Any], *values: Any) -> ColumnElement[bool]:
    """`column IN (values)` with the values written into the SQL, not sent as parameters: a partial index on
    them (ix_tickets_waiting: `status = 'WAITING'`, …) serves a prepared statement's generic plan only if the
    value is in the text. For a few fixed values of the code's own, never for input."""
    written = [literal(value, column.type, literal_execute=True) for value in values]
    return column == written[0] if len(written) == 1 else column.in_(written)
