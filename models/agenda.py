"""Agendas (the plan), closures (the exceptions) and slots (what citizens book)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column, table_of


class Agenda(Base):
    __tablename__ = "agendas"
    __table_args__ = (
        CheckConstraint(
            "cardinality(weekdays) > 0 AND weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]",
            name="weekdays_valid",
        ),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        CheckConstraint("reserved_seats >= 0 AND reserved_seats <= capacity", name="reserved_within_capacity"),
        CheckConstraint("reserved_until_hours >= 0", name="reserved_until_not_negative"),
        Index("ix_agendas_office_service", "office_id", "service_id"),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # seats of each slot kept for the PHONE and DESK channels until reserved_until_hours before it starts
    reserved_seats: Mapped[int] = mapped_column(Integer, server_default="0")
    reserved_until_hours: Mapped[int] = mapped_column(Integer, server_default="24")
    created_at: Mapped[datetime] = created_at_column()


class Closure(Base):
    """A day an office (or, with no office, every office) is closed."""

    __tablename__ = "closures"
    __table_args__ = (Index("uq_closures_office_date", text("coalesce(office_id, 0)"), "date", unique=True),)

    id: Mapped[int] = id_column()
    office_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("office_id", "service_id", "starts_at"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        # the hot path of availability and earliestSlots: only slots with a free seat
        Index(
            "ix_slots_free_by_service",
            "service_id",
            "starts_at",
            postgresql_where=text("booked < capacity AND NOT closed"),
        ),
        # the draw job finds a draw's slots
        Index("ix_slots_draw", "draw_id", postgresql_where=text("draw_id IS NOT NULL")),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    agenda_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("agendas.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, server_default="0")
    # a closure added after release closes the day's slots instead of deleting them: bookings point here
    closed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # released under a DRAW policy and not drawn yet: no one may take its seats until the draw has run
    # (resolvers/draws); NULL once drawn, so availability's test stays one column
    draw_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("draws.id"))


class SlotHold(Base):
    """A seat a citizen is holding while they fill in the booking form.

    Only a live hold (expires_at in the future) counts as a taken seat: an expired one gives its seat back by
    not being counted, whether or not the worker has deleted its row yet. Token and address are kept only as
    keyed hashes.
    """

    __tablename__ = "slot_holds"
    __table_args__ = (
        Index("ix_slot_holds_slot_expires", "slot_id", "expires_at"),
        Index("ix_slot_holds_address_expires", "address_hash", "expires_at"),
        Index("ix_slot_holds_document_expires", "document_hash", "expires_at"),
        # citizens' and nobody's holds by end: the lapsed-holds pass (resolvers/waitlist/lapsed_holds.py)
        Index("ix_slot_holds_lapsing", "expires_at", postgresql_where=text("document_hash IS NULL")),
        CheckConstraint("seats >= 1", name="seats_positive"),
    )

    id: Mapped[int] = id_column()
    slot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("slots.id", ondelete="CASCADE"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    address_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # known for holds made for a named citizen (e.g. a waitlist offer); a citizen's holdSlot carries none
    document_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # nobody's: a freed seat kept back for the re-release delay, which a newcomer to the waitlist may be offered
    rerelease: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # a party's hold keeps as many seats as people (resolvers/booking/party.py); counted by summing this
    seats: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


agendas = table_of(Agenda)
slots = table_of(Slot)
slot_holds = table_of(SlotHold)
