"""A GraphQL input derived from an operation's dataclass: it reads like the dataclass, and the operation gets the
dataclass as the client sent it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry

from core.inputs import Doc, Id, Mark, Named
from schema.input_types import InputOf


@dataclass(frozen=True, slots=True)
class Companion:
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    office_id: Id
    day: Annotated[str, Named("from")]
    companions: list[Companion] | None = None
    seats: Annotated[int, Mark.NULL_MEANS_DEFAULT, Doc("How many seats.")] = 3


class VisitInput(InputOf[Visit], description="A visit."):
    pass


received: list[Visit] = []


@strawberry.type
class Query:
    @strawberry.field
    def visit(self, input: VisitInput) -> bool:
        received.append(input.data())
        return True


schema = strawberry.Schema(query=Query)


def test_the_input_reads_like_the_dataclass() -> None:
    assert (
        '"""A visit."""\ninput VisitInput {\n  officeId: ID!\n  from: String!\n  companions: [Companion!] = null\n\n'
        '  """How many seats."""\n  seats: Int = 3\n}'
    ) in str(schema)


def test_the_operation_gets_its_dataclass_and_null_means_the_default() -> None:
    received.clear()
    sent = '{ a: visit(input: {officeId: 7, from: "mon", companions: [{name: "Ana"}], seats: null}) '
    sent += 'b: visit(input: {officeId: "8", from: "tue", seats: 1}) }'

    result = schema.execute_sync(sent)

    assert result.errors is None
    assert received == [
        Visit(office_id="7", day="mon", companions=[Companion("Ana")], seats=3),
        Visit(office_id="8", day="tue", seats=1),
    ]
