"""Pieces of statements that every domain's Core queries use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ColumnElement, any_, literal


def any_id(ids: Sequence[int]) -> ColumnElement[Any]:
    """`= ANY(:ids)`: one array parameter, so a batch of any length is the same statement (IN would be one
    statement per length, each prepared on its own)."""
    return any_(literal(list(ids), ARRAY(BigInteger)))
