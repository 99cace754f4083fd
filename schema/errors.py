"""The contract's UserError types, and the one place where domain errors become them (the runners in
schema/operation.py call `to_user_error`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.errors import (
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


def to_user_error(error: DomainError, language: str) -> UserError:
    """The UserError for a domain error, its message translated here and nowhere else: into `language`, the
    request's (Context.language) or the citizen's where the operation carries one (run_mutation's `language`)."""
    message = error.text.render(language)
    if isinstance(error, ValidationFailed):
        return ValidationError(code=error.code, message=message, field=error.field)
    if isinstance(error, SlotUnavailableError):
        return SlotUnavailable(
            code=error.code, message=message, alternatives=[Slot.from_record(slot) for slot in error.alternatives]
        )
    if isinstance(error, ChallengeRequiredError):
        return ChallengeRequired(code=error.code, message=message, challenge=Challenge.from_issued(error.challenge))
    if isinstance(error, InvalidStateError):
        return InvalidState(code=error.code, message=message, reason=error.reason, at=error.at)
    kinds: dict[type[DomainError], type[UserError]] = {
        NotFoundError: NotFound,
        NotAllowedError: NotAllowed,
        LimitExceededError: LimitExceeded,
        QueueEmptyError: QueueEmpty,
    }
    return kinds[type(error)](code=error.code, message=message)
