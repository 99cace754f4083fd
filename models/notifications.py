"""What is told after the fact: partner webhook endpoints and their deliveries, and visit feedback.

The outbox itself (models/booking.py) is the record of what happened; the worker fans each row out to
an e-mail and to the webhook deliveries below, each retried on its own.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column, table_of


class WebhookEventType(enum.StrEnum):
    """What a partner can subscribe an endpoint to; the value is the Standard Webhooks `type`."""

    BOOKING_CREATED = "booking.created"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_RESCHEDULED = "booking.rescheduled"
    TICKET_CALLED = "ticket.called"
    TICKET_COMPLETED = "ticket.completed"
    BOOKING_NO_SHOW = "booking.no_show"


WEBHOOK_EVENT_TYPES = tuple(event.value for event in WebhookEventType)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = id_column()
    partner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    # the signing secret is derived from this nonce with the installation's secret key, never stored
    secret_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    # after a rotation deliveries are signed with the previous secret too, until previous_secret_until
    previous_secret_nonce: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # for one release: the payload's `type` in the old SCREAMING_CASE (BOOKING_CREATED) instead of booking.created
    legacy_event_names: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = created_at_column()


class WebhookDelivery(Base):
    """One event for one endpoint: retried with backoff until delivered or FAILED."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "outbox_id"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'PENDING'")),
        # an endpoint's undelivered events of one booking: a later one waits for them (resolvers/webhooks/dispatch.py)
        Index(
            "ix_webhook_deliveries_subject_pending",
            "endpoint_id",
            "booking_id",
            "event_id",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # the partner's event list (webhookEvents), in event order
        Index("ix_webhook_deliveries_endpoint_event", "endpoint_id", "event_id", "id"),
        CheckConstraint("status IN ('PENDING', 'SENT', 'FAILED')", name="status_known"),
    )

    id: Mapped[int] = id_column()
    endpoint_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("outbox.id", ondelete="SET NULL"))
    event_type: Mapped[str] = mapped_column(String(40))
    # the event's subject (no foreign key: the order outlives the booking) and its place in the event order
    # (the outbox row's id, kept when the row is pruned): one endpoint gets one booking's events in that order
    booking_id: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    # the Standard Webhooks `webhook-id`: the same on every retry, so receivers can deduplicate
    message_id: Mapped[str] = mapped_column(String(60), unique=True)
    # the body as sent, rendered once from the event's facts: every retry and replay sends these same bytes
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), server_default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = created_at_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """The log an admin reads: every try, its answer and how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = id_column()
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = created_at_column()
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class Feedback(Base):
    """One per visit: asked for by mail after a completed ticket, answered once with its token."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_to_anonymise", "created_at", postgresql_where=text("anonymised_at IS NULL")),
    )

    id: Mapped[int] = id_column()
    ticket_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    booking_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bookings.id", ondelete="SET NULL"))
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    # like a manage token: derived from the nonce with the secret key; only its keyed hash is looked up
    token_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the comment was cleared (resolvers/privacy); the rating stays for the analytics
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


webhook_endpoints = table_of(WebhookEndpoint)
webhook_deliveries = table_of(WebhookDelivery)
webhook_attempts = table_of(WebhookAttempt)
