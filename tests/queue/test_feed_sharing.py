"""Sharing a queueEvents feed fails safe: a field with code of its own that does not declare what it reads of
the viewer makes the document unsharable, so it is executed per subscriber and nothing can leak."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
import strawberry
from graphql import GraphQLObjectType, specified_rules

from models.accounts import DeviceKind
from realtime.library_internals import graphql_core_schema, strawberry_field
from realtime.queue_feed import FeedSchema, QueuePlanner
from realtime.sharing import READS_NO_VIEWER, ViewerUse, field_is_shareable
from resolvers.accounts.viewer import Viewer
from schema.context import Info
from schema.cost import COSTS
from schema.extensions import LIMIT_RULES, MAX_TOKENS
from schema.queue.types import QueueEvent, Ticket
from schema.root import schema

DISPLAY = Viewer(device_id=1, device_kind=DeviceKind.DISPLAY, device_office_id=1)
SCREEN = "subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) { seq ticket { number %s } } }"


def planner(of: strawberry.Schema) -> QueuePlanner:
    return QueuePlanner(
        FeedSchema(
            schema=graphql_core_schema(of),
            rules=(*specified_rules, *LIMIT_RULES),
            max_tokens=MAX_TOKENS,
            cost=COSTS.cost,
        )
    )


def shared(of: strawberry.Schema, selection: str) -> bool:
    return planner(of).plan(DISPLAY, SCREEN % selection, {"o": "1", "a": None}, None) is not None


@strawberry.type(name="NosyTicket")
class TicketWithANosyField(Ticket):
    """The real Ticket and one new field that reads who asks, as a careless addition would."""

    @strawberry.field
    def watched_by(self, info: Info) -> str | None:
        return info.context.viewer.username

    @strawberry.field(metadata=READS_NO_VIEWER)  # type: ignore[untyped-decorator]
    def number_twice(self) -> str:
        return self.number * 2


@strawberry.type(name="NosyQueueEvent")
class QueueEventWithANosyTicket(QueueEvent):
    ticket: TicketWithANosyField


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def queue_events(
        self, office_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[QueueEventWithANosyTicket, None]:
        raise NotImplementedError("never run: planning only reads the schema")
        yield


@strawberry.type
class Query:
    hello: str = "hello"


VARIANT = strawberry.Schema(query=Query, subscription=Subscription)


def test_the_real_display_documents_are_shared() -> None:
    assert shared(schema, "status")
    assert shared(schema, "id position estimatedWaitMinutes service { name requiredDocuments } booking { code }")


def test_an_undeclared_field_that_reads_the_viewer_makes_the_document_unsharable() -> None:
    assert shared(VARIANT, "status")  # the variant as such shares, as the real schema does
    assert shared(VARIANT, "numberTwice")  # a new field that declares it reads nothing of the viewer: shared
    assert not shared(VARIANT, "watchedBy")
    assert not shared(VARIANT, "... on NosyTicket { watchedBy }")  # however it is reached
    assert not shared(VARIANT, "...Nosy } } } fragment Nosy on NosyTicket { watchedBy")


@pytest.mark.parametrize(("type_name", "field_name"), [("Ticket", "booking"), ("Desk", "currentTicket")])
def test_fields_that_show_by_grants_declare_it(type_name: str, field_name: str) -> None:
    owner = graphql_core_schema(schema).type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    field = owner.fields[field_name]
    assert field_is_shareable(field)
    definition = strawberry_field(field)
    assert definition is not None
    assert ViewerUse.AUDIENCE in definition.metadata.values()


def test_subscribers_reading_other_languages_share_no_feed() -> None:
    """Issue 17: procedures' names are translated, so a feed renders in one language for all its members."""
    plans = planner(schema)
    document = SCREEN % "service { name }"
    spanish = plans.plan(DISPLAY, document, {"o": "1", "a": None}, None, languages=("es", "es-AR"))
    english = plans.plan(DISPLAY, document, {"o": "1", "a": None}, None, languages=("en", "en-US"))
    another_spanish = plans.plan(DISPLAY, document, {"o": "1", "a": 5}, None, languages=("es", "es-AR"))

    assert spanish is not None
    assert english is not None
    assert another_spanish is not None
    assert spanish.key != english.key
    assert spanish.key == another_spanish.key
