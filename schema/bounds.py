"""How many items each list field may return: what the query cost multiplies by, and enforced when resolving.

Every list field of the schema carries a `ListBound` (tests/protections/test_query_cost.py walks the schema for any that
does not). A bound is a constant that holds for a large city, or the field's page-size argument (`limit`)
capped by the resolver's own maximum, or a figure worked out from the field's arguments (a date range). The
same figure cuts the list when it is resolved, so the static cost is an honest upper bound of the answer; a
cut is logged, because it means a bound below what the city really holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
from strawberry.types import Info

from realtime.library_internals import raw_info
from resolvers.accounts.staff import MAX_GRANTS
from resolvers.agenda.agendas import MIN_SLOT_MINUTES
from resolvers.catalogue.offices import MAX_OPENING_INTERVALS as MAX_OPENING_INTERVALS

logger = logging.getLogger("turnero.cost")

Arguments = Mapping[str, Any]

# The city: true for a large one (the demo, Córdoba, has 30 offices and 180 procedures).
MAX_OFFICES = 1_000
# the catalogue of procedures; also all that one office offers, one desk serves, one board lists
MAX_SERVICES = 2_000
MAX_DESKS_PER_OFFICE = 200
# role grants of one staff user (createStaff refuses more)
MAX_ROLE_GRANTS = MAX_GRANTS
# agendas of one office, every validity period kept: far above any office's procedures times seasons
MAX_AGENDAS_PER_OFFICE = 2_000
# slots of one procedure at one office on one local day: agendas never overlap and a slot lasts at least
# 5 minutes (addAgenda), and a local day has 1440 wall-clock minutes (a repeated hour gets one slot each)
MAX_SLOTS_PER_DAY = 24 * 60 // MIN_SLOT_MINUTES
# a booking's history: booked, each reschedule, check-in, the end
MAX_BOOKING_EVENTS = 100
MAX_WEBHOOK_ENDPOINTS = 1_000
# the tries shown per webhook delivery (TURNERO_WEBHOOK_MAX_ATTEMPTS is 8 by default)
MAX_WEBHOOK_ATTEMPTS = 100
# what a list field with no declared bound counts as (a test keeps every field declared)
UNDECLARED = 1_000


class ListBound(FieldExtension):
    """At most `most` items; fewer when `size` (of the field's arguments) says so, or `parent_size` (of the
    arguments of the field that returned the parent object: Stats.rows follows stats' filter) for the cost."""

    def __init__(
        self,
        most: int,
        *,
        size: Callable[[Arguments], int] | None = None,
        parent_size: Callable[[Arguments], int] | None = None,
    ) -> None:
        self.most = most
        self.size = size
        self.parent_size = parent_size

    @classmethod
    def argument(cls, name: str, most: int) -> ListBound:
        """A page-size argument (`limit`), capped by the most the resolver accepts (it refuses more)."""
        return cls(most, size=lambda arguments: _integer(arguments.get(name), most))

    def items(self, arguments: Arguments, parent_arguments: Arguments | None = None) -> int:
        """The most items the field returns, given its arguments (and its parent field's)."""
        figure = self.most
        if self.size is not None:
            figure = min(figure, max(0, self.size(arguments)))
        if self.parent_size is not None and parent_arguments is not None:
            figure = min(figure, max(0, self.parent_size(parent_arguments)))
        return figure

    def _cut(self, result: Any, info: Info) -> Any:
        if not isinstance(result, list):
            return result
        most = self.most if self.size is None else self.items(field_arguments(raw_info(info)))
        if len(result) <= most:
            return result
        raw = raw_info(info)
        logger.warning("list %s.%s cut to its bound of %d items", raw.parent_type.name, raw.field_name, most)
        return result[:most]

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        return self._cut(next_(source, info, **kwargs), info)

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        return self._cut(await next_(source, info, **kwargs), info)


def field_arguments(info: GraphQLResolveInfo[Any]) -> Arguments:
    """The field's arguments as graphql-core coerced them (input objects as dicts by GraphQL name); {} if none."""
    variables: object = info.variable_values
    if isinstance(variables, dict):  # what strawberry's execution hands resolvers: the coerced values alone
        variables = VariableValues({}, variables)
    assert isinstance(variables, VariableValues)
    try:
        return get_argument_values(info.parent_type.fields[info.field_name], info.field_nodes[0], variables)
    except GraphQLError:
        return {}


def _integer(value: object, most: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else most


def days_between(arguments: Arguments, first: str, last: str, most: int) -> int:
    """Days from one date argument to another, both included; `most` when either is missing or reversed."""
    start, end = arguments.get(first), arguments.get(last)
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        return most
    return min(most, (end - start).days + 1)


def count_or(values: object, otherwise: int) -> int:
    """How many IDs a filter names, or `otherwise` when it names none (everything)."""
    return len(values) if isinstance(values, Sequence) and not isinstance(values, str) else otherwise
