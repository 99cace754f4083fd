"""Domain errors: raised by operations, made the contract's UserError types in one place (schema/errors.py)."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    code = "INVALID_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(DomainError):
    code = "NOT_FOUND"


class NotAllowedError(DomainError):
    code = "NOT_ALLOWED"


class InvalidStateError(DomainError):
    """`reason` says which state in a stable word (e.g. CHECKIN_TOO_EARLY) so that a kiosk can tell the citizen
    in their own language; `at` is the moment it refers to (when check-in opens or closed)."""

    code = "INVALID_STATE"

    def __init__(self, message: str, reason: str | None = None, at: datetime | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.at = at


class LimitExceededError(DomainError):
    code = "LIMIT_EXCEEDED"


class QueueEmptyError(DomainError):
    code = "QUEUE_EMPTY"


class AuthenticationFailed(Exception):
    """A bad or expired token: a top-level error, not a UserError (contract conventions)."""


class BadRequest(Exception):
    """A query argument that makes the request meaningless (e.g. a date range of years): a top-level error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
