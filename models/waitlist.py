"""The waitlist: people who want a procedure that has no free seat, in the order they asked."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from models.base import Base, created_at_column, id_column, table_of


class WaitlistStatus(enum.StrEnum):
    WAITING = "WAITING"
    OFFERED = "OFFERED"
    BOOKED = "BOOKED"
    EXPIRED = "EXPIRED"
    LEFT = "LEFT"


LIVE_STATUSES = "('WAITING', 'OFFERED')"


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # one place in the line per person and procedure while it is live: a person is their document, their
        # e-mail and their phone (resolvers/booking/identity.py), each unique among live entries (NULLs never clash)
        Index(
            "uq_waitlist_entries_live_person",
            "service_id",
            "document_hash",
            unique=True,
            postgresql_where=text(f"status IN {LIVE_STATUSES}"),
        ),
        Index(
            "uq_waitlist_entries_live_email",
            "service_id",
            "email_hash",
            unique=True,
            postgresql_where=text(f"status IN {LIVE_STATUSES}"),
        ),
        Index(
            "uq_waitlist_entries_live_phone",
            "service_id",
            "phone_hash",
            unique=True,
            postgresql_where=text(f"status IN {LIVE_STATUSES}"),
        ),
        # a freed seat looks for the first waiting entry of its procedure
        Index("ix_waitlist_entries_waiting", "service_id", "id", postgresql_where=text("status = 'WAITING'")),
        # an offer by its hold: deleting a hold nulls the reference (and the console counts offered seats)
        Index("ix_waitlist_entries_offer_hold", "offer_hold_id", postgresql_where=text("offer_hold_id IS NOT NULL")),
        # the expiry job looks for offers whose time is up
        Index("ix_waitlist_entries_offered", "offer_expires_at", postgresql_where=text("status = 'OFFERED'")),
        Index("ix_waitlist_entries_to_anonymise", "to_date", postgresql_where=text("anonymised_at IS NULL")),
        # 0015 passed these names already prefixed and the naming convention prefixed them again: conv() keeps
        # the names the database has (tests/architecture/test_models_match_migrations.py compares them)
        CheckConstraint("to_date >= from_date", name=conv("ck_waitlist_entries_ck_waitlist_entries_dates_in_order")),
        CheckConstraint(
            "char_length(citizen_name) BETWEEN 1 AND 200",
            name=conv("ck_waitlist_entries_ck_waitlist_entries_citizen_name_length"),
        ),
    )

    id: Mapped[int] = id_column()
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id"))
    # NULL: any office that offers the procedure
    office_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    # days as the office's calendar has them (a slot's local date)
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    # optional: the ISO weekdays (1..7) and the local wall-clock window a slot's start must fall in
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    earliest: Mapped[time | None] = mapped_column(Time)
    latest: Mapped[time | None] = mapped_column(Time)
    status: Mapped[WaitlistStatus] = mapped_column(
        Enum(WaitlistStatus, name="waitlist_status"), server_default=WaitlistStatus.WAITING.value
    )
    citizen_name: Mapped[str] = mapped_column(String(200))
    citizen_email: Mapped[str | None] = mapped_column(String(254))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    citizen_locale: Mapped[str] = mapped_column(String(10), server_default="es")
    document_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    document_hint: Mapped[str] = mapped_column(String(8))
    # keyed hashes of the normalised e-mail and E.164 phone, as bookings keep them (NULL: none given)
    email_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # as a booking's: the token is derived from the nonce with the secret key; only its keyed hash is looked up
    manage_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    manage_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    offer_slot_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("slots.id"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the hold that keeps the offered seat (for OFFER_GRACE beyond offer_expires_at: resolvers/booking/freed_seats.py)
    offer_hold_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("slot_holds.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bookings.id"))
    created_at: Mapped[datetime] = created_at_column()
    # when the personal columns were cleared (resolvers/privacy)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


waitlist_entries = table_of(WaitlistEntry)
