"""Release draws: the seats a DRAW service releases go to the people who entered during the window, in a seeded
random order, instead of to the fastest request (resolvers/draws)."""

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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column, table_of


class DrawStatus(enum.StrEnum):
    OPEN = "OPEN"  # taking entries until closes_at; its slots are hidden
    DRAWN = "DRAWN"


class DrawEntryStatus(enum.StrEnum):
    ENTERED = "ENTERED"
    WON = "WON"  # booked: booking_id
    WAITLISTED = "WAITLISTED"  # no acceptable seat was left: waitlist_entry_id
    WITHDRAWN = "WITHDRAWN"
    INELIGIBLE = "INELIGIBLE"  # already held the procedure's most bookings when drawn


class Draw(Base):
    __tablename__ = "draws"
    __table_args__ = (
        # one open draw per service at a time: a release while one is open adds its seats to it
        Index("uq_draws_open_service", "service_id", unique=True, postgresql_where=text("status = 'OPEN'")),
        # the draw job looks for open draws whose window has closed
        Index("ix_draws_open_closes", "closes_at", postgresql_where=text("status = 'OPEN'")),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    id: Mapped[int] = id_column()
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[DrawStatus] = mapped_column(Enum(DrawStatus, name="draw_status"), server_default="OPEN")
    # from secrets when drawn, and logged: with `seats` and the entries it replays the draw (resolvers/draws/replay)
    seed: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # the free seats as they were drawn: [{slot_id, office_id, starts_at, local_start, seats}]
    seats: Mapped[list[dict[str, object]] | None] = mapped_column(JSONB)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DrawEntry(Base):
    __tablename__ = "draw_entries"
    __table_args__ = (
        # one entry per person and draw, whichever of document, e-mail or phone tells them apart
        Index(
            "uq_draw_entries_document",
            "draw_id",
            "document_hash",
            unique=True,
            postgresql_where=text("status <> 'WITHDRAWN'"),
        ),
        Index(
            "uq_draw_entries_email",
            "draw_id",
            "email_hash",
            unique=True,
            postgresql_where=text("status <> 'WITHDRAWN' AND email_hash IS NOT NULL"),
        ),
        Index(
            "uq_draw_entries_phone",
            "draw_id",
            "phone_hash",
            unique=True,
            postgresql_where=text("status <> 'WITHDRAWN' AND phone_hash IS NOT NULL"),
        ),
        Index("ix_draw_entries_address", "draw_id", "address_hash"),
        Index("ix_draw_entries_to_anonymise", "to_date", postgresql_where=text("anonymised_at IS NULL")),
        CheckConstraint("to_date >= from_date", name="dates_in_order"),
        CheckConstraint("char_length(citizen_name) BETWEEN 1 AND 200", name="citizen_name_length"),
    )

    id: Mapped[int] = id_column()
    draw_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("draws.id", ondelete="CASCADE"))
    # the person's preferences, as a waitlist entry's: NULL is "any"
    office_ids: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    earliest: Mapped[time | None] = mapped_column(Time)
    latest: Mapped[time | None] = mapped_column(Time)
    status: Mapped[DrawEntryStatus] = mapped_column(
        Enum(DrawEntryStatus, name="draw_entry_status"), server_default="ENTERED"
    )
    citizen_name: Mapped[str] = mapped_column(String(200))
    citizen_email: Mapped[str | None] = mapped_column(String(254))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    citizen_locale: Mapped[str] = mapped_column(String(10), server_default="es")
    document_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    document_hint: Mapped[str] = mapped_column(String(8))
    email_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # the client address, as a keyed hash, for TURNERO_DRAW_ENTRIES_PER_ADDRESS (NULL: staff or a partner)
    address_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    manage_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    manage_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # WON: the seat the draw gave (the booking may move later; this is what a replay checks) and its booking
    slot_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("slots.id"))
    booking_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bookings.id"))
    waitlist_entry_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("waitlist_entries.id"))
    created_at: Mapped[datetime] = created_at_column()
    # when the personal columns were cleared (resolvers/privacy)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


draws = table_of(Draw)
draw_entries = table_of(DrawEntry)
