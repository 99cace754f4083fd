from __future__ import annotations

from datetime import datetime

import strawberry

from models.notifications import WebhookEventType
from resolvers.webhooks.history import ReplayRecord, WebhookEventRecord
from resolvers.webhooks.records import (
    RegistrationRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
)
from schema.bounds import MAX_WEBHOOK_ATTEMPTS, ListBound

# the model's enum is the GraphQL enum: BOOKING_CREATED in GraphQL is "booking.created" on the wire
strawberry.enum(
    WebhookEventType,
    description="What an endpoint subscribes to. The payload's type is the dot-separated name (BOOKING_CREATED is "
    "booking.created), or this one for an endpoint with legacyEventNames (for one release).",
)


@strawberry.type(description="Where a partner receives signed event callbacks (Standard Webhooks).")
class WebhookEndpoint:
    id: strawberry.ID
    partner_id: strawberry.ID
    partner: str
    url: str
    event_types: list[WebhookEventType] = strawberry.field(extensions=[ListBound(len(WebhookEventType))])
    active: bool = strawberry.field(
        description="False once an administrator deactivated it or its server answered 410 Gone: it gets nothing more."
    )
    legacy_event_names: bool = strawberry.field(
        description="For one release: its payloads' type is the old SCREAMING_CASE name (BOOKING_CREATED) instead "
        "of the dot-separated one (booking.created)."
    )
    created_at: datetime

    @classmethod
    def from_record(cls, record: WebhookEndpointRecord) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(str(record.id)),
            partner_id=strawberry.ID(str(record.partner_id)),
            partner=record.partner,
            url=record.url,
            event_types=[WebhookEventType(event) for event in record.event_types],
            active=record.active,
            legacy_event_names=record.legacy_event_names,
            created_at=record.created_at,
        )


@strawberry.type(description="Returned once, at registration: the signing secret is not shown again.")
class WebhookEndpointRegistration:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(
        description="whsec_ + base64 of the HMAC-SHA256 key: verify webhook-signature over "
        "`{webhook-id}.{webhook-timestamp}.{body}` with any Standard Webhooks library."
    )

    @classmethod
    def from_record(cls, record: RegistrationRecord) -> WebhookEndpointRegistration:
        return cls(endpoint=WebhookEndpoint.from_record(record.endpoint), secret=record.secret)


@strawberry.type(description="One try of a delivery: the answer's status code (null: none came), and how long.")
class WebhookAttempt:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None

    @classmethod
    def from_record(cls, record: WebhookAttemptRecord) -> WebhookAttempt:
        return cls(
            attempt=record.attempt,
            at=record.at,
            status_code=record.status_code,
            latency_ms=record.latency_ms,
            error=record.error,
        )


@strawberry.type(description="One event for one endpoint, retried with backoff until delivered or FAILED.")
class WebhookDelivery:
    id: strawberry.ID
    event_type: WebhookEventType
    message_id: str = strawberry.field(description="The webhook-id header: the same on every retry.")
    status: str = strawberry.field(description="PENDING, SENT or FAILED (gave up; see lastError).")
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[WebhookAttempt] = strawberry.field(extensions=[ListBound(MAX_WEBHOOK_ATTEMPTS)])

    @classmethod
    def from_record(cls, record: WebhookDeliveryRecord) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(record.id)),
            event_type=WebhookEventType(record.event_type),
            message_id=record.message_id,
            status=record.status,
            next_attempt_at=record.next_attempt_at,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            created_at=record.created_at,
            delivered_at=record.delivered_at,
            attempts=[WebhookAttempt.from_record(attempt) for attempt in record.attempts],
        )


@strawberry.type(
    description="One event as an endpoint's partner received it (or will): its payload exactly as sent, and how "
    "its delivery stands."
)
class WebhookEvent:
    id: strawberry.ID = strawberry.field(description="The cursor: webhookEvents(after:) lists the events after it.")
    message_id: str = strawberry.field(description="The webhook-id header: the same on every retry and replay.")
    type: WebhookEventType
    occurred_at: datetime = strawberry.field(description="When it happened: the payload's timestamp.")
    payload: str = strawberry.field(description="The body as sent (JSON), rendered when the event happened.")
    status: str = strawberry.field(description="PENDING (on its way or being retried), SENT or FAILED (gave up).")
    delivered_at: datetime | None

    @classmethod
    def from_record(cls, record: WebhookEventRecord) -> WebhookEvent:
        return cls(
            id=strawberry.ID(str(record.id)),
            message_id=record.message_id,
            type=WebhookEventType(record.event_type),
            occurred_at=record.occurred_at,
            payload=record.payload,
            status=record.status,
            delivered_at=record.delivered_at,
        )


@strawberry.type(description="What replayWebhookEvents put back in the queue.")
class WebhookReplay:
    endpoint_id: strawberry.ID
    replayed: int = strawberry.field(
        description="How many delivered or failed events go out again, same payload and webhook-id, in event order."
    )

    @classmethod
    def from_record(cls, record: ReplayRecord) -> WebhookReplay:
        return cls(endpoint_id=strawberry.ID(str(record.endpoint_id)), replayed=record.replayed)
