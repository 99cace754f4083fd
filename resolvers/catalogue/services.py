"""Services (procedures): upserted by slug (ADMIN only), searched by anyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Doc
from core.messages import msg
from models.catalogue import ChallengePolicy, ReleasePolicy, services
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.records import SERVICE, ServiceRecord
from resolvers.rows import record_from_row, records_from_rows

_PREFIX = re.compile(r"^[A-Z]{1,2}$")
MAX_DOCUMENTS = 30
# the most people one booking may bring (a family): the holder and up to nine companions
MAX_PARTY_SIZE = 10


@dataclass(frozen=True, slots=True)
class ServiceInput:
    slug: str
    name: str
    duration_minutes: int
    description: str | None = None
    category: str | None = None
    required_documents: list[str] | None = None
    walk_in_allowed: bool = True
    booking_window_days: int = 30
    ticket_prefix: Annotated[str | None, Doc("One or two letters that start this service's ticket numbers.")] = None
    max_active_bookings_per_citizen: int = 1
    challenge_policy: Annotated[
        ChallengePolicy | None,
        Doc(
            "When anonymous bookings need a solved proof-of-work challenge (bookingChallenge): a new service gets "
            "ADAPTIVE; absent keeps an existing service's policy."
        ),
    ] = None
    confirmation_required: Annotated[
        bool, Doc("Citizens' bookings stay PENDING until confirmed from the mailed link.")
    ] = False
    max_party_size: Annotated[
        int | None,
        Doc(
            "How many people one booking may bring (the citizen and up to this many minus one companions), 1 to 10: "
            "a new service gets 1; absent keeps an existing service's."
        ),
    ] = None
    release_policy: Annotated[
        ReleasePolicy | None,
        Doc("FIRST_COME or DRAW: a new service gets FIRST_COME; absent keeps an existing one's."),
    ] = None
    draw_minutes: Annotated[
        int | None,
        Doc(
            "Under DRAW: minutes entries are taken after a release (5 to 10080); a new service gets 60; absent keeps "
            "an existing one's."
        ),
    ] = None


MIN_DRAW_MINUTES = 5
MAX_DRAW_MINUTES = 7 * 24 * 60


def _prefix(value: str | None, name: str) -> str:
    if value is None:
        letters = [c for c in validation.fold(name).upper() if "A" <= c <= "Z"]
        return letters[0] if letters else "T"
    prefix = value.strip().upper()
    if not _PREFIX.match(prefix):
        raise ValidationFailed("ticketPrefix", "ticketPrefix must be one or two letters A-Z.")
    return prefix


def _documents(values: list[str] | None) -> list[str]:
    documents = []
    for index, value in enumerate(values or []):
        documents.append(validation.text_field(f"requiredDocuments.{index}", value, max_length=300))
    if len(documents) > MAX_DOCUMENTS:
        raise ValidationFailed("requiredDocuments", msg("At most {count} documents.", count=MAX_DOCUMENTS))
    return documents


async def upsert_service(conn: AsyncConnection, viewer: Viewer, data: ServiceInput) -> ServiceRecord:
    viewer.require_admin()
    slug = validation.slug("slug", data.slug)
    name = validation.text_field("name", data.name, max_length=200)
    description = validation.optional_text("description", data.description, max_length=4000, multiline=True)
    category = validation.optional_text("category", data.category, max_length=100)
    validation.integer_range("durationMinutes", data.duration_minutes, 1, 1440)
    validation.integer_range("bookingWindowDays", data.booking_window_days, 1, 730)
    validation.integer_range("maxActiveBookingsPerCitizen", data.max_active_bookings_per_citizen, 1, 100)
    if data.max_party_size is not None:
        validation.integer_range("maxPartySize", data.max_party_size, 1, MAX_PARTY_SIZE)
    if data.draw_minutes is not None:
        validation.integer_range("drawMinutes", data.draw_minutes, MIN_DRAW_MINUTES, MAX_DRAW_MINUTES)
    values = {
        "slug": slug,
        "name": name,
        "description": description,
        "category": category,
        "duration_minutes": data.duration_minutes,
        "required_documents": _documents(data.required_documents),
        "walk_in_allowed": data.walk_in_allowed,
        "booking_window_days": data.booking_window_days,
        "ticket_prefix": _prefix(data.ticket_prefix, name),
        "max_active_bookings_per_citizen": data.max_active_bookings_per_citizen,
        "confirmation_required": data.confirmation_required,
        "search_text": validation.fold(" ".join(filter(None, [name, category, description]))),
    }
    # an absent policy, party size or draw length keeps the service's own (a new service: the column's default)
    given = {
        column: value
        for column, value in (
            ("challenge_policy", data.challenge_policy),
            ("max_party_size", data.max_party_size),
            ("release_policy", data.release_policy),
            ("draw_minutes", data.draw_minutes),
        )
        if value is not None
    }
    upsert = insert(services).values(**values, **given)
    upsert = upsert.on_conflict_do_update(
        index_elements=[services.c.slug],
        set_={
            **{column: upsert.excluded[column] for column in values if column != "slug"},
            **{column: upsert.excluded[column] for column in given},
            "updated_at": func.now(),
        },
    )
    row = (await conn.execute(upsert.returning(*SERVICE.selected_columns))).mappings().one()
    return record_from_row(ServiceRecord, row)


async def search_services(conn: AsyncConnection, search: str | None) -> list[ServiceRecord]:
    """Every word of the search must appear in the name, category or description, accents ignored."""
    words = validation.fold(search or "").split()[:10]
    found = SERVICE.where(*(services.c.search_text.contains(word, autoescape=True) for word in words))
    rows = await conn.execute(found.order_by(services.c.name, services.c.id))
    return records_from_rows(ServiceRecord, rows.mappings())
