"""The one mapping from errors to HTTP answers, for every route that answers in JSON: the GraphQL endpoint
(before GraphQL runs: the credential, the database) and the downloads (server/analytics_export.py). Each
route keeps its body's shape; the status, code and message are decided here."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import AuthenticationFailed, DomainError, NotAllowedError, ValidationFailed

UNAVAILABLE_MESSAGE = "The database is not reachable right now; try again shortly."


class Unavailable(Exception):
    """The database could not be reached to authenticate or answer the request."""


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    message: str
    field: str | None = None


def refusal(error: AuthenticationFailed | Unavailable | DomainError) -> Refusal:
    if isinstance(error, AuthenticationFailed):
        return Refusal(401, "UNAUTHENTICATED", str(error))
    if isinstance(error, Unavailable):
        return Refusal(503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE)
    if isinstance(error, ValidationFailed):
        return Refusal(400, error.code, error.message, error.field)
    if isinstance(error, NotAllowedError):
        return Refusal(403, error.code, error.message)
    return Refusal(400, error.code, error.message)
