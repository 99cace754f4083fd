"""The contract's UserError types, and the one place where domain errors become them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import (
    BadRequest,
    DomainError,
    InvalidStateError,
    InvalidStateReason,
    LimitExceededError,
    NotAllowedError,
    NotFoundError,
    QueueEmptyError,
    ValidationFailed,
)
from resolvers.booking.challenge import ChallengeRequiredError
from resolvers.booking.records import SlotUnavailableError
from resolvers.booking.seats import ALTERNATIVES
from schema.agenda.types import Slot
from schema.booking.challenge import Challenge
from schema.bounds import ListBound
from schema.context import Info

# the contract has no InvalidState.reason, so the schema may name its words; UserError.code stays a String there
strawberry.enum(InvalidStateReason, description="Which state an InvalidState refers to.")


@strawberry.interface
class UserError:
    code: str = strawberry.field(
        description="Stable machine-readable code, e.g. SLOT_FULL, LIMIT_EXCEEDED, INVALID_INPUT, NOT_FOUND, "
        "NOT_ALLOWED, INVALID_STATE."
    )
    message: str = strawberry.field(description="Human-readable, in the caller's language where known.")


@strawberry.type
class ValidationError(UserError):
    field: str | None = None


@strawberry.type
class NotFound(UserError):
    pass


@strawberry.type
class NotAllowed(UserError):
    pass


@strawberry.type(
    description="The ticket or booking is not in a state that allows this (e.g. completing a ticket never called)."
)
class InvalidState(UserError):
    reason: InvalidStateReason | None = strawberry.field(
        default=None, description="Which state, in a stable word a kiosk can translate; null otherwise."
    )
    at: datetime | None = strawberry.field(
        default=None, description="The moment the refusal refers to: when check-in opens, or when it closed."
    )


@strawberry.type
class LimitExceeded(UserError):
    pass


@strawberry.type
class QueueEmpty(UserError):
    pass


@strawberry.type
class SlotUnavailable(UserError):
    alternatives: list[Slot] = strawberry.field(
        description="Nearest free slots for the same service, soonest first.", extensions=[ListBound(ALTERNATIVES)]
    )


@strawberry.type(
    description="A solved proof-of-work challenge is needed (the service's challengePolicy), or the one sent was "
    "forged, wrong, used before or expired (the message says which): solve `challenge` and send the request again "
    "with its payload."
)
class ChallengeRequired(UserError):
    challenge: Challenge


def to_user_error(error: DomainError) -> UserError:
    if isinstance(error, ValidationFailed):
        return ValidationError(code=error.code, message=error.message, field=error.field)
    if isinstance(error, SlotUnavailableError):
        return SlotUnavailable(
            code=error.code, message=error.message, alternatives=[Slot.from_record(slot) for slot in error.alternatives]
        )
    if isinstance(error, ChallengeRequiredError):
        return ChallengeRequired(
            code=error.code, message=error.message, challenge=Challenge.from_issued(error.challenge)
        )
    if isinstance(error, InvalidStateError):
        return InvalidState(code=error.code, message=error.message, reason=error.reason, at=error.at)
    kinds: dict[type[DomainError], type[UserError]] = {
        NotFoundError: NotFound,
        NotAllowedError: NotAllowed,
        LimitExceededError: LimitExceeded,
        QueueEmptyError: QueueEmpty,
    }
    return kinds[type(error)](code=error.code, message=error.message)


Record = TypeVar("Record")


async def run_mutation(
    info: Info,
    operation: Callable[[AsyncConnection], Awaitable[Record]],
    present: Callable[[Record], Any],
    after: Callable[[Record], Awaitable[None]] | None = None,
) -> Any:
    """One transaction per mutation, committed at the edge; a domain error rolls it all back.

    Returns the presented record or the UserError; `Any` because each mutation's union names the
    errors its operation may raise, which the type system cannot follow through the callable.
    """
    try:
        async with info.context.state.engine.begin() as conn:
            record = await operation(conn)
    except DomainError as error:
        return to_user_error(error)
    if after is not None:
        await after(record)  # after commit only: a rolled-back change never announces anything
    return present(record)


Read = TypeVar("Read")


async def run_query(info: Info, operation: Callable[[AsyncConnection], Awaitable[Read]]) -> Read:
    """A read on its own pooled connection; a meaningless argument or a refusal becomes a top-level error
    (queries have no result unions to carry them)."""
    try:
        async with info.context.state.engine.connect() as conn:
            return await operation(conn)
    except BadRequest as error:
        raise GraphQLError(str(error), extensions={"code": "BAD_REQUEST", "field": error.field}) from None
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": error.code}) from None


async def run_read(
    info: Info, operation: Callable[[AsyncConnection], Awaitable[Read]], present: Callable[[Read], Any]
) -> Any:
    """A read whose field has a result union: a refusal or bad filter becomes its UserError (ValidationError
    naming the field, NotAllowed), like a mutation's, instead of a top-level error."""
    try:
        async with info.context.state.engine.connect() as conn:
            record = await operation(conn)
    except DomainError as error:
        return to_user_error(error)
    return present(record)
