"""The front desk: tickets, the per-office event log (gapless seq), and the per-office counters."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column


class TicketStatus(enum.StrEnum):
    WAITING = "WAITING"
    CALLED = "CALLED"
    SERVING = "SERVING"
    DONE = "DONE"
    NO_SHOW = "NO_SHOW"
    CANCELLED = "CANCELLED"
    TRANSFERRED = "TRANSFERRED"


class PriorityClass(enum.StrEnum):
    STANDARD = "STANDARD"
    PRIORITY = "PRIORITY"


class QueueEventType(enum.StrEnum):
    ISSUED = "ISSUED"
    CALLED = "CALLED"
    RECALLED = "RECALLED"
    SERVING = "SERVING"
    DONE = "DONE"
    NO_SHOW = "NO_SHOW"
    TRANSFERRED = "TRANSFERRED"
    CANCELLED = "CANCELLED"
    # a kiosk's replay gave a waiting ticket the number on the citizen's slip (resolvers/queue/arrival.py)
    RENUMBERED = "RENUMBERED"
    # a remote ticket's holder came in (checked in with its code): it is a ticket inside from now on
    ARRIVED = "ARRIVED"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("office_id", "day", "day_number"),
        # callNext's hot path: the waiting tickets of an office, earliest due first
        Index("ix_tickets_waiting", "office_id", "due_at", "id", postgresql_where=text("status = 'WAITING'")),
        Index("ix_tickets_booking", "booking_id"),
        # the analytics refresh reads tickets by issue time
        Index("ix_tickets_issued", "issued_at"),
        Index(
            "ix_tickets_recent_service",
            "office_id",
            "service_id",
            "finished_at",
            postgresql_where=text("status = 'DONE'"),
        ),
        Index("ix_tickets_to_anonymise", "issued_at", postgresql_where=text("anonymised_at IS NULL")),
        CheckConstraint("day_number > 0", name="day_number_positive"),
        CheckConstraint("recalls >= 0", name="recalls_not_negative"),
        # the people waiting outside (resolvers/queue/remote.py looks for them after every queue change)
        Index(
            "ix_tickets_remote_waiting",
            "office_id",
            "due_at",
            "id",
            postgresql_where=text("remote AND status = 'WAITING'"),
        ),
        # the code a remote ticket's holder types at the kiosk: one reading per office and day
        Index(
            "uq_tickets_remote_code",
            "office_id",
            "day",
            "remote_code",
            unique=True,
            postgresql_where=text("remote_code IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bookings.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(10))
    # the office's local day and that day's sequence: numbers restart at local midnight
    day: Mapped[date] = mapped_column(Date)
    day_number: Mapped[int] = mapped_column(Integer)
    priority: Mapped[PriorityClass] = mapped_column(Enum(PriorityClass, name="priority_class"))
    status: Mapped[TicketStatus] = mapped_column(Enum(TicketStatus, name="ticket_status"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime] = created_at_column()
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    desk_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("desks.id", ondelete="SET NULL"), index=True)
    # a transfer to a desk makes the ticket callable only there
    target_desk_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("desks.id", ondelete="SET NULL"))
    recalls: Mapped[int] = mapped_column(Integer, server_default="0")
    # the wait announced when the ticket was issued, to compare later with the wait that followed
    estimated_wait_minutes: Mapped[int | None] = mapped_column(Integer)
    previous_ticket_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tickets.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(1000))
    # waiting outside the building (joined from home, or the building was full): it keeps its place in line
    # but callNext passes it over until its holder checks in with remote_code (resolvers/queue/remote.py)
    remote: Mapped[bool] = mapped_column(Boolean, server_default="false")
    remote_code: Mapped[str | None] = mapped_column(String(8))
    # when the holder was told to come in ("head in now": near the front, and room inside)
    head_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the note and the remote_tickets contact were cleared (resolvers/privacy)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RemoteOrigin(enum.StrEnum):
    HOME = "HOME"  # joinQueue: from the citizen's phone, wherever they are
    DOOR = "DOOR"  # a walk-in at a full building (Office.max_occupancy): waiting at the door


class RemoteTicket(Base):
    """Who waits outside for a remote ticket, and how their turn went: the contact the head-in mail goes to
    (keys as hashes: one open remote ticket per person), and when the line reached them."""

    __tablename__ = "remote_tickets"
    __table_args__ = (
        CheckConstraint("origin IN ('HOME', 'DOOR')", name="origin_known"),
        Index("ix_remote_tickets_email", "email_hash", postgresql_where=text("email_hash IS NOT NULL")),
        Index("ix_remote_tickets_phone", "phone_hash", postgresql_where=text("phone_hash IS NOT NULL")),
    )

    ticket_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(4))
    citizen_name: Mapped[str | None] = mapped_column(String(200))
    citizen_email: Mapped[str | None] = mapped_column(String(254))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    citizen_locale: Mapped[str] = mapped_column(String(5), server_default="es")
    email_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # the first time a desk would have called it but passed it over (it was outside): the no-show clock
    front_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class QueueEvent(Base):
    """Every change of a ticket, with the office's next seq, written in the change's transaction."""

    __tablename__ = "queue_events"

    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[QueueEventType] = mapped_column(Enum(QueueEventType, name="queue_event_type"))
    ticket_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    desk_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("desks.id", ondelete="SET NULL"))
    at: Mapped[datetime] = created_at_column()


class OfficeQueueCounter(Base):
    """One row per office: the row lock makes seq and ticket numbers gapless and unique under concurrency."""

    __tablename__ = "office_queue_counters"

    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    ticket_day: Mapped[date | None] = mapped_column(Date)
    last_ticket_number: Mapped[int] = mapped_column(Integer, server_default="0")


class TicketNumberBlock(Base):
    """Walk-in numbers a kiosk reserved while online, to hand out while the network is down. Reserving advances
    the office's counter, so the server never gives these numbers; the unique (office, day, number) of tickets
    lets each be used once."""

    __tablename__ = "ticket_number_blocks"
    __table_args__ = (
        Index("ix_ticket_number_blocks_device_day", "device_id", "day"),
        CheckConstraint("first_number > 0 AND last_number >= first_number", name="numbers_ordered"),
    )

    id: Mapped[int] = id_column()
    device_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("device_tokens.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    # the office's local day the numbers belong to: tickets restart at 001 every local day
    day: Mapped[date] = mapped_column(Date)
    first_number: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
