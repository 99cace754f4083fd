"""Services (procedures): upserted by slug (ADMIN only), searched by anyone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
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
    ticket_prefix: str | None = None
    max_active_bookings_per_citizen: int = 1
    # None keeps an existing service's policy; a new service starts ADAPTIVE (the column's default)
    challenge_policy: ChallengePolicy | None = None
    confirmation_required: bool = False
    # None keeps an existing service's; a new service takes one person per booking
    max_party_size: int | None = None
    # None keeps an existing service's; a new one starts FIRST_COME, with 60-minute draws
    release_policy: ReleasePolicy | None = None
    draw_minutes: int | None = None


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
