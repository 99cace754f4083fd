"""The phone line's search: a caller's open bookings by document, phone, e-mail or name.

Never a list of everybody: at least one criterion, each an exact match on its normalised form (the keyed hashes
bookings keep, resolvers/booking/identity.py: a document number is never stored, and a part of a name finds
nothing), several narrowing together, at most MAX_LIMIT answers, and only bookings of offices the caller works
for. Each search is logged with who asked and which kinds of criteria, never their values; the per-user rate
limit is core/ratelimit.py's `lookups` bucket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotAllowedError, ValidationFailed
from core.validation import text_field
from models.accounts import Role
from models.booking import ACTIVE_BOOKING_STATUSES, bookings
from resolvers.accounts.viewer import Viewer
from resolvers.booking import identity
from resolvers.booking.citizen import document_hash, document_number, email_address, phone_e164
from resolvers.booking.records import BOOKING, BookingRecord
from resolvers.rows import record_from_row
from resolvers.sql import any_id

logger = logging.getLogger("turnero.lookups")

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# the staff who answer callers: the phone line, and the desks' clerks and managers for their offices
FINDERS = (Role.OPERATOR, Role.CLERK, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class BookingSearch:
    document: str | None = None
    phone: str | None = None
    email: str | None = None
    name: str | None = None
    limit: int = DEFAULT_LIMIT


def _given(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _conditions(secret_key: bytes, search: BookingSearch) -> dict[str, ColumnElement[bool]]:
    """Each criterion given, checked, as a condition on its hash column, by the criterion's name."""
    conditions: dict[str, ColumnElement[bool]] = {}
    if (document := _given(search.document)) is not None:
        number = document_number(document, "document")
        conditions["document"] = bookings.c.document_hash == document_hash(secret_key, number)
    if (phone := phone_e164(_given(search.phone), "phone")) is not None:
        conditions["phone"] = bookings.c.phone_hash == identity.phone_hash(secret_key, phone)
    if (email := email_address(_given(search.email), "email")) is not None:
        conditions["email"] = bookings.c.email_hash == identity.email_hash(secret_key, email)
    if (name := _given(search.name)) is not None:
        folded = identity.fold_name(text_field("name", name, max_length=200))
        if len(folded) < 2:
            raise ValidationFailed("name", "Give the caller's whole name.")
        conditions["name"] = bookings.c.name_hash == identity.name_hash(secret_key, folded)
    return conditions


async def find_bookings(
    conn: AsyncConnection, viewer: Viewer, secret_key: bytes, search: BookingSearch
) -> list[BookingRecord]:
    offices = viewer.offices_with(*FINDERS) if viewer.is_staff else frozenset()
    if offices is not None and not offices:
        raise NotAllowedError("Only staff who answer callers may search bookings.")
    if not 1 <= search.limit <= MAX_LIMIT:
        raise ValidationFailed("limit", f"limit must be 1 to {MAX_LIMIT}.")
    conditions = _conditions(secret_key, search)
    if not conditions:
        raise ValidationFailed("document", "Give a document, phone, e-mail or whole name to search by.")
    query = BOOKING.where(bookings.c.status.in_(ACTIVE_BOOKING_STATUSES), *conditions.values())
    if offices is not None:
        query = query.where(bookings.c.office_id == any_id(sorted(offices)))
    rows = (await conn.execute(query.order_by(bookings.c.starts_at, bookings.c.id).limit(search.limit))).mappings()
    found = [record_from_row(BookingRecord, row) for row in rows]
    # who searched, by what kinds of criteria, and how much they saw: never the values searched for
    logger.info(
        "booking search",
        extra={"staff_user_id": viewer.staff_user_id, "criteria": sorted(conditions), "results": len(found)},
    )
    return found
