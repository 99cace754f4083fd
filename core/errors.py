"""Domain errors: raised by operations, made the contract's UserError types in one place (schema/errors.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from core.messages import Message, as_message


class ErrorCode(StrEnum):
    """A UserError's `code`: a String in the contract, so these stay strings on the wire."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    INVALID_STATE = "INVALID_STATE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    QUEUE_EMPTY = "QUEUE_EMPTY"
    # the slot has no free seat left for this booking, or cannot be booked at all (past, closed, not open yet)
    SLOT_FULL = "SLOT_FULL"
    SLOT_UNAVAILABLE = "SLOT_UNAVAILABLE"
    CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"


class InvalidStateReason(StrEnum):
    """Which state an InvalidStateError refers to, in a stable word a kiosk can translate."""

    CHECKIN_TOO_EARLY = "CHECKIN_TOO_EARLY"
    CHECKIN_TOO_LATE = "CHECKIN_TOO_LATE"
    WRONG_OFFICE = "WRONG_OFFICE"
    BOOKING_NOT_ACTIVE = "BOOKING_NOT_ACTIVE"
    BOOKING_NOT_CONFIRMED = "BOOKING_NOT_CONFIRMED"
    APPOINTMENT_REQUIRED = "APPOINTMENT_REQUIRED"
    ARRIVAL_OTHER_DAY = "ARRIVAL_OTHER_DAY"
    NUMBER_USED = "NUMBER_USED"
    CONFIRMATION_EXPIRED = "CONFIRMATION_EXPIRED"
    NOT_PENDING = "NOT_PENDING"
    PENDING = "PENDING"
    NOT_DRAWN = "NOT_DRAWN"
    DRAW_CLOSED = "DRAW_CLOSED"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    NOT_OFFERED = "NOT_OFFERED"
    OFFER_EXPIRED = "OFFER_EXPIRED"
    OFFICE_CLOSED = "OFFICE_CLOSED"
    OFFICE_FULL = "OFFICE_FULL"


class DomainError(Exception):
    """`text` is what the UserError says, translated where it is made (schema/errors.py): a literal English
    sentence, or `msg(template, **values)` when it carries values (core/messages.py). `message` is its English
    text, for logs and the command line."""

    code: ErrorCode

    def __init__(self, message: str | Message) -> None:
        self.text = as_message(message)
        self.message = self.text.render()
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = ErrorCode.INVALID_INPUT

    def __init__(self, field: str, message: str | Message) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND


class NotAllowedError(DomainError):
    code = ErrorCode.NOT_ALLOWED


class InvalidStateError(DomainError):
    """`reason` says which state in a stable word (e.g. CHECKIN_TOO_EARLY) so that a kiosk can tell the citizen
    in their own language; `at` is the moment it refers to (when check-in opens or closed)."""

    code = ErrorCode.INVALID_STATE

    def __init__(
        self, message: str | Message, reason: InvalidStateReason | None = None, at: datetime | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.at = at


class LimitExceededError(DomainError):
    code = ErrorCode.LIMIT_EXCEEDED


class QueueEmptyError(DomainError):
    code = ErrorCode.QUEUE_EMPTY


class AuthenticationFailed(Exception):
    """A bad or expired token: a top-level error, not a UserError (contract conventions)."""


class BadRequest(Exception):
    """A query argument that makes the request meaningless (e.g. a date range of years): a top-level error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
