from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WebhookEndpointRecord:
    id: int
    partner_id: int
    partner: str
    url: str
    event_types: tuple[str, ...]
    active: bool
    legacy_event_names: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RegistrationRecord:
    """The endpoint and its signing secret, which only registration shows."""

    endpoint: WebhookEndpointRecord
    secret: str


@dataclass(frozen=True, slots=True)
class WebhookAttemptRecord:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class WebhookDeliveryRecord:
    id: int
    endpoint_id: int
    event_type: str
    message_id: str
    status: str
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: tuple[WebhookAttemptRecord, ...]
