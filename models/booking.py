"""Bookings, their history, the outbox of notifications, and idempotency keys."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from models.base import Base, created_at_column, id_column, table_of


class BookingStatus(enum.StrEnum):
    # waiting for the citizen to confirm from the mailed link (services with confirmation_required)
    PENDING = "PENDING"
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    CHECKED_IN = "CHECKED_IN"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"


class Channel(enum.StrEnum):
    WEB = "WEB"
    MOBILE = "MOBILE"
    PHONE = "PHONE"
    KIOSK = "KIOSK"
    DESK = "DESK"
    PARTNER = "PARTNER"


# a booking that holds its code (and, but for CHECKED_IN, counts against the citizen's limits)
OPEN_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
ACTIVE_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.BOOKED)
# the same as SQL lists, for the partial indexes and the statements kept native
OPEN_STATUSES = "(" + ", ".join(f"'{status}'" for status in OPEN_BOOKING_STATUSES) + ")"
ACTIVE_STATUSES = "(" + ", ".join(f"'{status}'" for status in ACTIVE_BOOKING_STATUSES) + ")"


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # a code is spoken over the phone and typed at kiosks: unique among the bookings still open
        Index("uq_bookings_open_code", "code", unique=True, postgresql_where=text(f"status IN {OPEN_STATUSES}")),
        # per-citizen limits: a booking matching the document, the e-mail or the phone counts
        Index(
            "ix_bookings_citizen_service",
            "document_hash",
            "service_id",
            postgresql_where=text(f"status IN {ACTIVE_STATUSES}"),
        ),
        Index(
            "ix_bookings_email_service",
            "email_hash",
            "service_id",
            postgresql_where=text(f"status IN {ACTIVE_STATUSES}"),
        ),
        Index(
            "ix_bookings_phone_service",
            "phone_hash",
            "service_id",
            postgresql_where=text(f"status IN {ACTIVE_STATUSES}"),
        ),
        # the phone line finds a caller's open bookings by their folded name (findBookings)
        Index("ix_bookings_name", "name_hash", postgresql_where=text(f"status IN {ACTIVE_STATUSES}")),
        # the confirmation sweep's scan
        Index("ix_bookings_confirm_due", "confirm_by", postgresql_where=text("status = 'PENDING'")),
        Index("ix_bookings_slot", "slot_id"),
        Index("ix_bookings_office_starts", "office_id", "starts_at"),
        # the analytics refresh reads bookings by appointment time, every office at once
        Index("ix_bookings_starts", "starts_at"),
        # the reminder job's scan: open bookings not yet reminded, by start
        Index(
            "ix_bookings_reminder_due",
            "starts_at",
            postgresql_where=text("status = 'BOOKED' AND reminder_queued_at IS NULL"),
        ),
        # personal data not yet anonymised, by the end its retention counts from (resolvers/privacy/retention.py)
        Index("ix_bookings_to_anonymise", "ends_at", postgresql_where=text("anonymised_at IS NULL")),
        CheckConstraint("code ~ '^[2-9A-HJKMNP-Z]{8}$'", name="code_alphabet"),
        CheckConstraint("char_length(citizen_name) BETWEEN 1 AND 200", name="citizen_name_length"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(8))
    status: Mapped[BookingStatus] = mapped_column(Enum(BookingStatus, name="booking_status"))
    slot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("slots.id"))
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, name="channel"))
    citizen_name: Mapped[str] = mapped_column(String(200))
    citizen_email: Mapped[str | None] = mapped_column(String(254))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    citizen_locale: Mapped[str] = mapped_column(String(10), server_default="es")
    # the document number is never stored: only a keyed hash (for limits) and its last characters
    document_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    document_hint: Mapped[str] = mapped_column(String(8))
    # keyed hashes of the normalised e-mail and phone (resolvers/booking/citizen.py), for the same limits
    email_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # a keyed hash of the folded name (resolvers/booking/identity.py name_hash): findBookings by name
    name_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    notes: Mapped[str | None] = mapped_column(Text)
    # the manage token is derived from this nonce with the secret key; only its keyed hash is looked up
    manage_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    manage_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff_users.id", ondelete="SET NULL"))
    partner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("partners.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    # set when the reminder is put in the outbox: never twice
    reminder_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a PENDING booking not confirmed by then is cancelled and its seat given back (jobs/confirmations.py)
    confirm_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the holder and their companions (booking_companions): as many seats of the slot as people
    party_size: Mapped[int] = mapped_column(Integer, server_default="1")
    # when the personal columns (and the companions') were cleared: retention or eraseCitizen (resolvers/privacy)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingEvent(Base):
    __tablename__ = "booking_events"

    id: Mapped[int] = id_column()
    booking_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = created_at_column()
    status: Mapped[BookingStatus] = mapped_column(Enum(BookingStatus, name="booking_status"))
    channel: Mapped[Channel | None] = mapped_column(Enum(Channel, name="channel"))
    # who: "citizen", "staff:<id>", "partner:<id>", "system"
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """What happened, written in the same transaction as its cause; the worker tells the citizen (mail) and
    the booking's partner (webhooks). A claim moves next_attempt_at ahead as a lease: a worker that dies
    mid-send leaves the row to be sent again once, never lost."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=text("status = 'PENDING'")),
        # the rows of a booking whose webhooks are still to be fanned out: its later deliveries wait for them
        Index(
            "ix_outbox_awaiting_fan_out",
            "booking_id",
            "id",
            postgresql_where=text("event_facts IS NOT NULL AND fanned_out_at IS NULL"),
        ),
        CheckConstraint("status IN ('PENDING', 'SENT', 'FAILED')", name="status_known"),
    )

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(60))
    booking_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bookings.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(10), server_default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = created_at_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a webhook event's facts as the raising transaction committed them (resolvers/webhooks/facts.py): the
    # partners' payloads are rendered from these, never from the booking as it is later. No citizen data.
    event_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # when the worker turned the event into its webhook deliveries (resolvers/webhooks/fanout.py)
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """(caller, key) is unique; the first result is kept and returned to every replay."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"), index=True)


# what a partner API key may do: read the bookings its partner made, and book, cancel and reschedule
BOOKINGS_READ = "bookings:read"
BOOKINGS_WRITE = "bookings:write"
PARTNER_SCOPES = (BOOKINGS_READ, BOOKINGS_WRITE)


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    # its cost bucket's refill rate when an ADMIN set one (setPartnerRateLimit); null: the default
    cost_per_second: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("cost_per_second > 0", name="cost_per_second_positive"),)


class PartnerKey(Base):
    __tablename__ = "partner_keys"

    id: Mapped[int] = id_column()
    partner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=text("'{bookings:read,bookings:write}'::varchar[]")
    )
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingCompanion(Base):
    """A person booked together with the holder (one code, one seat each): a name for the desk, and for the
    per-citizen limits only keyed hashes and the document's last characters, as for the holder."""

    __tablename__ = "booking_companions"
    __table_args__ = (
        # per-citizen limits count a companion's bookings too (resolvers/booking/party.py)
        Index("ix_booking_companions_document", "document_hash"),
        Index("ix_booking_companions_email", "email_hash", postgresql_where=text("email_hash IS NOT NULL")),
        Index("ix_booking_companions_phone", "phone_hash", postgresql_where=text("phone_hash IS NOT NULL")),
        # 0018 passed the name already prefixed and the naming convention prefixed it again: conv() keeps the
        # name the database has (tests/architecture/test_models_match_migrations.py compares it)
        CheckConstraint(
            "char_length(name) BETWEEN 1 AND 200", name=conv("ck_booking_companions_ck_booking_companions_name_length")
        ),
    )

    id: Mapped[int] = id_column()
    booking_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    # the order the citizen gave them in
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    document_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    document_hint: Mapped[str] = mapped_column(String(8))
    email_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))


bookings = table_of(Booking)
outbox = table_of(OutboxMessage)
booking_events = table_of(BookingEvent)
idempotency_keys = table_of(IdempotencyKey)
booking_companions = table_of(BookingCompanion)
partners = table_of(Partner)
partner_keys = table_of(PartnerKey)
