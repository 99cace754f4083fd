"""Services (procedures): upserted by slug (ADMIN only), searched by anyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Doc
from models.catalogue import ChallengePolicy, ReleasePolicy
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.records import SERVICE_COLUMNS, ServiceRecord

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
        raise ValidationFailed("requiredDocuments", f"At most {MAX_DOCUMENTS} documents.")
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
        "duration": data.duration_minutes,
        "documents": _documents(data.required_documents),
        "walk_in": data.walk_in_allowed,
        "window": data.booking_window_days,
        "prefix": _prefix(data.ticket_prefix, name),
        "max_active": data.max_active_bookings_per_citizen,
        "challenge_policy": None if data.challenge_policy is None else data.challenge_policy.value,
        "confirmation_required": data.confirmation_required,
        "max_party_size": data.max_party_size,
        "release_policy": None if data.release_policy is None else data.release_policy.value,
        "draw_minutes": data.draw_minutes,
        "search": validation.fold(" ".join(filter(None, [name, category, description]))),
    }
    row = (
        (
            await conn.execute(
                text(f"""INSERT INTO services AS s (slug, name, description, category, duration_minutes,
                    required_documents, walk_in_allowed, booking_window_days, ticket_prefix,
                    max_active_bookings_per_citizen, search_text, challenge_policy, confirmation_required,
                    max_party_size, release_policy, draw_minutes)
                 VALUES (:slug, :name, :description, :category, :duration, :documents, :walk_in, :window,
                    :prefix, :max_active, :search,
                    COALESCE(CAST(:challenge_policy AS challenge_policy), 'ADAPTIVE'), :confirmation_required,
                    COALESCE(CAST(:max_party_size AS integer), 1),
                    COALESCE(CAST(:release_policy AS release_policy), 'FIRST_COME'),
                    COALESCE(CAST(:draw_minutes AS integer), 60))
                 ON CONFLICT (slug) DO UPDATE SET
                    name = EXCLUDED.name, description = EXCLUDED.description, category = EXCLUDED.category,
                    duration_minutes = EXCLUDED.duration_minutes,
                    required_documents = EXCLUDED.required_documents,
                    walk_in_allowed = EXCLUDED.walk_in_allowed,
                    booking_window_days = EXCLUDED.booking_window_days,
                    ticket_prefix = EXCLUDED.ticket_prefix,
                    max_active_bookings_per_citizen = EXCLUDED.max_active_bookings_per_citizen,
                    search_text = EXCLUDED.search_text,
                    challenge_policy = COALESCE(CAST(:challenge_policy AS challenge_policy), s.challenge_policy),
                    confirmation_required = EXCLUDED.confirmation_required,
                    max_party_size = COALESCE(CAST(:max_party_size AS integer), s.max_party_size),
                    release_policy = COALESCE(CAST(:release_policy AS release_policy), s.release_policy),
                    draw_minutes = COALESCE(CAST(:draw_minutes AS integer), s.draw_minutes),
                    updated_at = now()
                 RETURNING {SERVICE_COLUMNS}"""),
                values,
            )
        )
        .mappings()
        .one()
    )
    return ServiceRecord.from_row(row)


async def search_services(conn: AsyncConnection, search: str | None) -> list[ServiceRecord]:
    """Every word of the search must appear in the name, category or description, accents ignored."""
    words = validation.fold(search or "").split()[:10]
    conditions = " AND ".join(f"s.search_text LIKE :w{i}" for i in range(len(words))) or "TRUE"
    params = {
        f"w{i}": "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for i, w in enumerate(words)
    }
    rows = await conn.execute(
        text(f"SELECT {SERVICE_COLUMNS} FROM services s WHERE {conditions} ORDER BY s.name, s.id"), params
    )
    return [ServiceRecord.from_row(row) for row in rows.mappings()]
