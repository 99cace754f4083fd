"""The root Query and Mutation, assembled from each domain's fields, and the schema object."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.printer import print_schema

from schema.accounts.fields import AccountsMutation, AccountsQuery
from schema.agenda.fields import AgendaMutation, AgendaQuery
from schema.booking.fields import BookingMutation, BookingQuery
from schema.catalogue.fields import CatalogueMutation, CatalogueQuery
from schema.errors import InvalidState
from schema.extensions import extensions

SDL_PATH = Path(__file__).with_name("schema.graphql")


@strawberry.type
class Query(CatalogueQuery, AgendaQuery, BookingQuery, AccountsQuery):
    pass


@strawberry.type
class Mutation(CatalogueMutation, AgendaMutation, BookingMutation, AccountsMutation):
    pass


# InvalidState is a plain error type of the contract that the booking and queue unions will use
schema = strawberry.Schema(query=Query, mutation=Mutation, types=[InvalidState], extensions=extensions())


def sdl() -> str:
    return print_schema(schema) + "\n"
