"""Partners' webhook endpoints: registered, listed and deactivated by an administrator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from sqlalchemy import FromClause, Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotFoundError, ValidationFailed
from core.inputs import Doc, Id
from core.manage_tokens import new_nonce
from core.messages import msg
from core.validation import parse_id
from models.booking import partners
from models.notifications import WEBHOOK_EVENT_TYPES, WebhookEventType, webhook_endpoints
from notifications.webhooks.signing import endpoint_key, shown_secret
from notifications.webhooks.urls import checked_url
from resolvers.accounts.viewer import Viewer
from resolvers.rows import record_columns, record_from_row, records_from_rows
from resolvers.webhooks.records import RegistrationRecord, WebhookEndpointRecord
from resolvers.webhooks.stop import stop_endpoint

# how long deliveries after a rotation carry the previous secret's signature too: a day for the partner to
# deploy the new secret without a delivery failing its check meanwhile
ROTATION_OVERLAP = timedelta(hours=24)


def _with_partner(endpoints: FromClause) -> Select[Any]:
    """Endpoints as their record has them: their own columns and their partner's name."""
    return select(*record_columns(WebhookEndpointRecord, endpoints), partners.c.name.label("partner")).join_from(
        endpoints, partners, partners.c.id == endpoints.c.partner_id
    )


ENDPOINT = _with_partner(webhook_endpoints)


@dataclass(frozen=True, slots=True)
class EndpointInput:
    url: Annotated[str, Doc("http(s); never link-local or cloud-metadata addresses.")]
    event_types: list[WebhookEventType]
    # the partner by ID or by the name issuePartnerKey gave it: one of the two
    partner_id: Annotated[Id | None, Doc("This, or partner.")] = None
    partner: Annotated[str | None, Doc("The partner's name as issuePartnerKey gave it.")] = None
    legacy_event_names: Annotated[
        bool,
        Doc(
            "For one release: payloads carry the old SCREAMING_CASE type (BOOKING_CREATED) instead of the "
            "dot-separated one (booking.created)."
        ),
    ] = False


def _event_types(requested: Sequence[str]) -> list[str]:
    unknown = sorted(set(requested) - set(WEBHOOK_EVENT_TYPES))
    if unknown:
        raise ValidationFailed("eventTypes", msg("Unknown event type {type}.", type=repr(unknown[0])))
    if not requested:
        raise ValidationFailed("eventTypes", "Subscribe the endpoint to at least one event type.")
    return [event for event in WEBHOOK_EVENT_TYPES if event in requested]


async def _partner_id(conn: AsyncConnection, data: EndpointInput) -> int:
    if (data.partner_id is None) == (data.partner is None):
        raise ValidationFailed("partnerId", "Name the partner by partnerId or by partner (its name), not both.")
    if data.partner_id is not None:
        number = parse_id(data.partner_id)
        found = (await conn.execute(select(partners.c.id).where(partners.c.id == number))).scalar() if number else None
    else:
        name = (data.partner or "").strip()
        found = (await conn.execute(select(partners.c.id).where(partners.c.name == name))).scalar()
    if found is None:
        raise NotFoundError("No such partner; issuePartnerKey creates partners.")
    return int(found)


def _registration(row: Any, secret_key: bytes, nonce: bytes) -> RegistrationRecord:
    """The endpoint with the secret its nonce gives: shown in this answer and never again."""
    return RegistrationRecord(
        endpoint=record_from_row(WebhookEndpointRecord, row), secret=shown_secret(endpoint_key(secret_key, nonce))
    )


async def register(conn: AsyncConnection, viewer: Viewer, secret_key: bytes, data: EndpointInput) -> RegistrationRecord:
    """The endpoint and its signing secret (`whsec_…`), shown this once: only its nonce is stored."""
    viewer.require_admin()
    event_types = _event_types(data.event_types)
    partner_id = await _partner_id(conn, data)
    # resolves the host name (a few seconds at most): admins register endpoints rarely
    url = await checked_url(data.url)
    nonce = new_nonce()
    added = (
        insert(webhook_endpoints)
        .values(
            partner_id=partner_id,
            url=url,
            event_types=event_types,
            secret_nonce=nonce,
            legacy_event_names=data.legacy_event_names,
        )
        .returning(*webhook_endpoints.c)
        .cte("added")
    )
    row = (await conn.execute(_with_partner(added))).mappings().one()
    return _registration(row, secret_key, nonce)


async def rotate_secret(
    conn: AsyncConnection, viewer: Viewer, secret_key: bytes, endpoint_id: str
) -> RegistrationRecord:
    """A new signing secret, shown this once; deliveries carry signatures with the new and the previous
    one for ROTATION_OVERLAP. A second rotation within it drops the oldest."""
    viewer.require_admin()
    number = parse_id(endpoint_id)
    nonce = new_nonce()
    rotated = (
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == number)
        .values(
            previous_secret_nonce=webhook_endpoints.c.secret_nonce,
            previous_secret_until=func.now() + ROTATION_OVERLAP,
            secret_nonce=nonce,
        )
        .returning(*webhook_endpoints.c)
        .cte("rotated")
    )
    row = (await conn.execute(_with_partner(rotated))).mappings().first() if number else None
    if row is None:
        raise NotFoundError("No webhook endpoint has this ID.")
    if not row["active"]:
        raise InvalidStateError("This endpoint was deactivated: it gets nothing more, so it needs no new secret.")
    return _registration(row, secret_key, nonce)


async def deactivate(conn: AsyncConnection, viewer: Viewer, endpoint_id: str) -> WebhookEndpointRecord:
    """No more deliveries: those still pending end FAILED (visible in the log), new events add none."""
    viewer.require_admin()
    number = parse_id(endpoint_id)
    if number is None or not await stop_endpoint(conn, number, "endpoint deactivated"):
        raise NotFoundError("No webhook endpoint has this ID.")
    row = (await conn.execute(ENDPOINT.where(webhook_endpoints.c.id == number))).mappings().one()
    return record_from_row(WebhookEndpointRecord, row)


async def set_legacy_event_names(
    conn: AsyncConnection, viewer: Viewer, endpoint_id: str, legacy: bool
) -> WebhookEndpointRecord:
    """Which type names the endpoint's events carry from now on; those already made keep the names they were
    rendered with (a retry or a replay sends the same bytes)."""
    viewer.require_admin()
    number = parse_id(endpoint_id)
    changed = (
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == number)
        .values(legacy_event_names=legacy)
        .returning(*webhook_endpoints.c)
        .cte("changed")
    )
    row = (await conn.execute(_with_partner(changed))).mappings().first() if number else None
    if row is None:
        raise NotFoundError("No webhook endpoint has this ID.")
    return record_from_row(WebhookEndpointRecord, row)


async def endpoints(conn: AsyncConnection, viewer: Viewer, partner_id: str | None) -> list[WebhookEndpointRecord]:
    viewer.require_admin()
    partner = parse_id(partner_id) if partner_id is not None else None
    if partner_id is not None and partner is None:
        return []
    listed = ENDPOINT if partner is None else ENDPOINT.where(webhook_endpoints.c.partner_id == partner)
    rows = await conn.execute(listed.order_by(partners.c.name, webhook_endpoints.c.id))
    return records_from_rows(WebhookEndpointRecord, rows.mappings())
